import { APIRequestContext, expect, test } from "@playwright/test";
import { createAgent, createCompany, day, gotoHydrated, postEvent, seed, unique, watchCalls } from "./helpers";

test("projects and alerts pages", async ({ page, request }) => {
  const { company, writer } = await seed(request);
  await postEvent(request, company.id, { agentId: writer.id, costCents: 1000 }); // writer at $42 of $50: 84%

  await page.goto(`/companies/${company.id}/projects`);
  const rows = page.getByTestId("project-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.filter({ hasText: "Launch" })).toContainText("$53.45");
  await expect(rows.filter({ hasText: "Unassigned" })).toContainText("$80.00");

  await page.goto(`/companies/${company.id}/alerts`);
  await expect(page.getByTestId("alert-row")).toHaveCount(1);
  await expect(page.getByTestId("alert-row")).toContainText("80% soft alert");
  await expect(page.getByTestId("alert-row")).toContainText("writer");
});

test("settings: the form saves name and budget with one call", async ({ page, request }) => {
  const { company } = await seed(request); // $123.45 this month
  await gotoHydrated(page, `/companies/${company.id}/settings`);
  const calls = watchCalls(page, "update_company");
  const name = unique("Renamed");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Monthly budget (dollars, empty for none)").fill("150");
  await expect(page.getByTestId("settings-saved")).toHaveCount(0);
  const [answer] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === "/rpc/update_company"),
    page.getByRole("button", { name: "Save" }).click(),
  ]);
  expect(answer.status()).toBe(200);
  expect(calls).toEqual({ fetches: 1, posts: 0 });
  await expect(page.getByTestId("settings-saved")).toHaveText("Saved.");
  const saved = await (await request.get(`/api/companies/${company.id}`)).json();
  expect([saved.name, saved.budgetMonthlyCents]).toEqual([name, 15000]);

  await page.goto(`/companies/${company.id}`);
  await expect(page.getByTestId("tile-status")).toHaveText("Warning: 80% used"); // $123.45 of $150
});

/**
 * 55 events of 1 to 55 cents, five a day from day 1 to day 11 of the server's month
 * (10:00 to 14:00): event `k` at day 1 + k / 5, hour 10 + k % 5.
 */
async function fiftyFiveEvents(request: APIRequestContext) {
  const company = await createCompany(request, unique("Ledger"), 0);
  const agent = await createAgent(request, company.id, "a", 0);
  const events = Array.from({ length: 55 }, (_, k) => ({
    agentId: agent.id,
    provider: "anthropic",
    model: "claude-sonnet-4",
    costCents: k + 1,
    occurredAt: `${day(1 + Math.floor(k / 5))}T${10 + (k % 5)}:00:00Z`,
  }));
  const r = await request.post(`/api/companies/${company.id}/cost-events/batch`, { data: { events } });
  expect((await r.json()).created).toBe(55);
  return company;
}

const when = (k: number) => `${day(1 + Math.floor(k / 5))} ${10 + (k % 5)}:00:00`;

test("events: pages of 50, newest first, and back", async ({ page, request }) => {
  const company = await fiftyFiveEvents(request);
  await gotoHydrated(page, `/companies/${company.id}/events`);
  const rows = page.getByTestId("event-row");
  await expect(rows).toHaveCount(50);
  await expect(rows.first()).toContainText(when(54));
  await expect(rows.first()).toContainText("$0.55");
  await expect(rows.last()).toContainText(when(5));

  await page.getByTestId("older").click();
  await expect(page).toHaveURL(/[?&]cursor=/);
  await expect(rows).toHaveCount(5);
  await expect(rows.first()).toContainText(when(4));
  await expect(rows.last()).toContainText(when(0));
  await expect(page.getByTestId("older")).toHaveCount(0);

  await page.getByRole("link", { name: "← Newest" }).click();
  await expect(rows).toHaveCount(50);
  await expect(rows.first()).toContainText(when(54));
});

test("events: the date filter, and the CSV of exactly what is filtered", async ({ page, request }) => {
  const company = await fiftyFiveEvents(request);
  await gotoHydrated(page, `/companies/${company.id}/events`);
  await page.getByLabel("From", { exact: true }).fill(day(3));
  await page.getByLabel("To", { exact: true }).fill(day(4));
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(new RegExp(`from=${day(3)}&to=${day(4)}`));

  // Days 3 and 4, both whole: events 10 to 19, newest first.
  const rows = page.getByTestId("event-row");
  await expect(rows).toHaveCount(10);
  await expect(rows.first()).toContainText(when(19));
  await expect(rows.last()).toContainText(when(10));

  const href = await page.getByTestId("csv-link").getAttribute("href");
  expect(href).toContain(`from=${day(3)}&to=${day(5)}`); // the API's `to` is exclusive
  const csv = (await (await request.get(href!)).text()).trim().split("\n");
  const header = csv[0].split(",");
  const [at, cents] = [header.indexOf("occurredAt"), header.indexOf("costCents")];
  const got = csv.slice(1).map((line) => {
    const cells = line.split(",");
    return [cells[at].slice(0, 13), Number(cells[cents])];
  });
  const want = Array.from({ length: 10 }, (_, i) => 19 - i).map((k) => [
    `${day(1 + Math.floor(k / 5))}T${10 + (k % 5)}`,
    k + 1,
  ]);
  expect(got).toEqual(want);
});

test("events: agent and project filters", async ({ page, request }) => {
  const { company, writer, project } = await seed(request);
  await gotoHydrated(page, `/companies/${company.id}/events`);
  await expect(page.getByTestId("event-row")).toHaveCount(5);
  await page.getByLabel("Agent").selectOption(writer.id);
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(new RegExp(`agentId=${writer.id}`));
  await expect(page.getByTestId("event-row")).toHaveCount(2);

  await page.getByLabel("Agent").selectOption("");
  await page.getByLabel("Project").selectOption(project.id);
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(new RegExp(`projectId=${project.id}`));
  await expect(page.getByTestId("event-row")).toHaveCount(2);
  const rows = await page.getByTestId("event-row").allTextContents();
  expect(rows.map((r) => r.match(/\$[\d,.]+/)?.[0])).toEqual(["$41.45", "$12.00"]);
});
