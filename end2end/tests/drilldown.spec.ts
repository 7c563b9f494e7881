import { expect, test } from "@playwright/test";
import { collectPageErrors, gotoHydrated, seed } from "./helpers";

// An agent's and a project's own pages (numbers equal to the API's), an agent's keys, and
// names on the Events page. The seed: writer $32.00 of $50 (Launch $12, unassigned $20 on
// claude-opus-4), reviewer $91.45 (openai gpt-5 $50, Launch $41.45, one unpriced event).

test("the agent's page: its month, its breakdowns and its events", async ({ page, request }) => {
  const errors = collectPageErrors(page);
  const { company, writer } = await seed(request);
  await gotoHydrated(page, `/companies/${company.id}/agents`);
  await page.getByTestId("agent-row").getByRole("link", { name: "writer" }).click();
  await expect(page).toHaveURL(new RegExp(`/companies/${company.id}/agents/${writer.id}$`));
  const api = await (await request.get(`/api/agents/${writer.id}`)).json();
  expect(api.spentMonthlyCents).toBe(3200);
  await expect(page.getByTestId("member-name")).toContainText("writer");
  await expect(page.getByTestId("member-spend")).toHaveText("$32.00");
  await expect(page.getByTestId("member-budget")).toHaveText("$50.00");
  await expect(page.getByTestId("member-events")).toHaveText("2");
  await expect(page.getByTestId("by-model-row")).toHaveCount(2);
  await expect(page.getByTestId("by-model-row").first()).toContainText("claude-opus-4");
  await expect(page.getByTestId("by-model-row").first()).toContainText("$20.00");
  const byProject = page.getByTestId("by-other-row");
  await expect(byProject.filter({ hasText: "Launch" })).toContainText("$12.00");
  await expect(byProject.filter({ hasText: "Unassigned" })).toContainText("$20.00");
  await expect(page.getByTestId("event-row")).toHaveCount(2);
  // Charts are drawn once near the viewport: bring the daily chart there first.
  await page.locator("#chart-daily").scrollIntoViewIfNeeded();
  await expect(page.locator("#chart-daily canvas")).toHaveCount(1);
  expect(errors).toEqual([]);
});

test("the project's page: by agent, linked to the agents' pages", async ({ page, request }) => {
  const { company, project, reviewer } = await seed(request);
  await gotoHydrated(page, `/companies/${company.id}/projects/${project.id}`);
  await expect(page.getByTestId("member-spend")).toHaveText("$53.45");
  const api = await (await request.get(`/api/projects/${project.id}`)).json();
  expect(api.spentMonthlyCents).toBe(5345);
  const byAgent = page.getByTestId("by-other-row");
  await expect(byAgent.first()).toContainText("reviewer");
  await expect(byAgent.first()).toContainText("$41.45");
  await byAgent.first().getByRole("link", { name: "reviewer" }).click();
  await expect(page).toHaveURL(new RegExp(`/agents/${reviewer.id}$`));
  await expect(page.getByTestId("member-spend")).toHaveText("$91.45");
});

test("a key made on the agent's page is shown once, listed by its prefix, and revoked", async ({ page, request }) => {
  const { company, writer } = await seed(request);
  await gotoHydrated(page, `/companies/${company.id}/agents/${writer.id}`);
  await page.getByRole("button", { name: "Create a key" }).click();
  const key = (await page.getByTestId("new-key-value").textContent())!.trim();
  expect(key).toMatch(/^cla_/);
  const row = page.getByTestId("key-row");
  await expect(row).toHaveCount(1);
  const prefix = (await row.getByTestId("key-prefix").textContent())!.replace("…", "");
  expect(key.startsWith(prefix)).toBe(true);
  await expect(row).not.toContainText(key);
  await page.reload();
  await expect(page.getByTestId("new-key")).toHaveCount(0);
  await expect(page.locator("body")).not.toContainText(key);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByTestId("key-row")).toHaveCount(0);
  const listed = await (await request.get(`/api/agents/${writer.id}/keys`)).json();
  expect(listed).toEqual([]);
});

test("the Events page names agents and projects and filters by provider and model", async ({ page, request }) => {
  const { company, reviewer } = await seed(request);
  await gotoHydrated(page, `/companies/${company.id}/events`);
  const rows = page.getByTestId("event-row");
  await expect(rows).toHaveCount(5);
  await expect(page.getByTestId("event-agent").filter({ hasText: "reviewer" })).toHaveCount(3);
  await expect(page.getByTestId("event-project").filter({ hasText: "Launch" })).toHaveCount(2);
  await expect(page.getByTestId("events-table")).toContainText("1,000");
  await page.getByLabel("Provider").fill("openai");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/provider=openai/);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("gpt-5");
  await page.goto(`/companies/${company.id}/events?model=mystery-model`);
  await expect(rows).toHaveCount(1);
  await rows.first().getByTestId("event-agent").click();
  await expect(page).toHaveURL(new RegExp(`/agents/${reviewer.id}$`));
});
