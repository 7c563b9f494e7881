import { APIRequestContext, expect, test } from "@playwright/test";
import {
  DAYS_IN_MONTH,
  MONTH,
  NOW,
  PREVIOUS_MONTH,
  chartOption,
  collectPageErrors,
  createAgent,
  createCompany,
  day,
  gotoHydrated,
  points,
  postEvent,
  unique,
} from "./helpers";

/** `YYYY-MM-DD` of `n` days before the server's day. */
function daysBack(n: number): string {
  return new Date(NOW.getTime() - n * 86_400_000).toISOString().slice(0, 10);
}

/** The dashboard's dollars: "$1,234.50". */
function dollars(cents: number): string {
  return `$${(cents / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** "9 Nov" of a `YYYY-MM-DD` day. */
function short(d: string): string {
  return new Date(`${d}T00:00:00Z`).toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
}

async function json(request: APIRequestContext, path: string) {
  const r = await request.get(path);
  expect(r.status(), path).toBe(200);
  return r.json();
}

/**
 * A company with two agents and events on several days: inside the last 7 days (its first
 * day, and today), just before it, earlier this month and last month.
 */
async function seedDays(request: APIRequestContext) {
  const company = await createCompany(request, unique("Range"), 100000);
  const writer = await createAgent(request, company.id, "writer");
  const reviewer = await createAgent(request, company.id, "reviewer");
  const at = (d: string, time = "10:00:00") => `${d}T${time}Z`;
  for (const [agent, costCents, occurredAt] of [
    [writer, 1000, at(daysBack(7), "23:59:59")], // the day before the last 7
    [writer, 200, at(daysBack(6), "00:00:00")], // their first instant
    [reviewer, 4500, at(daysBack(3))],
    [writer, 300, at(daysBack(0), "08:00:00")], // today, before the server's now
    [reviewer, 7000, at(day(2))], // earlier this month
    [writer, 9900, at(`${PREVIOUS_MONTH}-12`)], // last month
  ] as const) {
    await postEvent(request, company.id, { agentId: agent.id, costCents, occurredAt });
  }
  return { company, writer, reviewer };
}

test("Last 7 days: the URL carries the range, the totals are the API's for it, the tabs keep it", async ({ page, request }) => {
  const { company } = await seedDays(request);
  const errors = collectPageErrors(page);
  const [from, to] = [daysBack(6), daysBack(0)];
  const api = `from=${from}&to=${daysBack(-1)}`; // the API's `to` is the next day, exclusive
  await gotoHydrated(page, `/companies/${company.id}`);
  await expect(page.getByRole("link", { name: "This month" })).toHaveAttribute("aria-current", "page");

  await page.getByRole("link", { name: "Last 7 days" }).click();
  await page.waitForURL((url) => url.searchParams.get("from") === from && url.searchParams.get("to") === to);
  const summary = await json(request, `/api/companies/${company.id}/costs/summary?${api}`);
  expect(summary.spendCents).toBe(5000); // 200 + 4500 + 300
  await expect(page.getByTestId("tile-spend")).toHaveText(dollars(summary.spendCents));
  await expect(page.getByTestId("range-heading")).toHaveText(`${short(from)} – ${short(to)} ${NOW.getUTCFullYear()}`);
  await expect(page.getByTestId("range-label")).toHaveText(`Showing ${short(from)} – ${short(to)} ${NOW.getUTCFullYear()}`);
  await expect(page.getByRole("link", { name: "Last 7 days" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("link", { name: "This month" })).not.toHaveAttribute("aria-current");
  await expect(page.getByText("Cumulative spend", { exact: true })).toBeVisible();

  // The agents table, on the tab that kept the range, is the API's by-agent report for it.
  await page.getByRole("navigation", { name: "Company pages" }).getByRole("link", { name: "Agents" }).click();
  await page.waitForURL((url) => url.pathname.endsWith("/agents") && url.searchParams.get("from") === from && url.searchParams.get("to") === to);
  const byAgent = (await json(request, `/api/companies/${company.id}/costs/by-agent?${api}`)) as { agentName: string; costCents: number }[];
  expect(byAgent.map((a) => [a.agentName, a.costCents])).toEqual([["reviewer", 4500], ["writer", 500]]);
  const rows = page.getByTestId("agent-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.locator("th")).toHaveText(byAgent.map((a) => a.agentName));
  await expect(rows.getByTestId("spend")).toHaveText(byAgent.map((a) => dollars(a.costCents)));

  // An agent's name leads to its page for the same range: its spend there is its row's.
  await rows.filter({ hasText: "writer" }).getByRole("link", { name: "writer" }).click();
  await page.waitForURL((url) => url.pathname.includes("/agents/") && url.searchParams.get("from") === from && url.searchParams.get("to") === to);
  await expect(page.getByTestId("member-spend")).toHaveText(dollars(500));
  await page.goBack();
  await page.waitForURL((url) => url.pathname.endsWith("/agents"));

  // Projects and Events keep it too; the Events page lists exactly the range's events.
  await page.getByRole("navigation", { name: "Company pages" }).getByRole("link", { name: "Events" }).click();
  await page.waitForURL((url) => url.pathname.endsWith("/events") && url.searchParams.get("from") === from);
  await expect(page.getByTestId("event-row")).toHaveCount(3);
  await expect(page.getByLabel("From", { exact: true })).toHaveValue(from);
  await expect(page.getByLabel("To", { exact: true })).toHaveValue(to);
  await page.getByRole("navigation", { name: "Company pages" }).getByRole("link", { name: "Overview" }).click();
  await page.waitForURL((url) => url.searchParams.get("from") === from && url.searchParams.get("to") === to);
  await expect(page.getByTestId("tile-spend")).toHaveText(dollars(5000));

  // Last month is the month picker's parameter; This month is none.
  await page.getByRole("link", { name: "Last month" }).click();
  await page.waitForURL((url) => url.searchParams.get("month") === PREVIOUS_MONTH && !url.searchParams.has("from"));
  await expect(page.getByTestId("tile-spend")).toHaveText(dollars(9900));
  await expect(page.locator("#month")).toHaveValue(PREVIOUS_MONTH);
  await page.getByRole("link", { name: "This month" }).click();
  await page.waitForURL((url) => url.search === "");
  const month = await json(request, `/api/companies/${company.id}/costs/summary`);
  await expect(page.getByTestId("tile-spend")).toHaveText(dollars(month.spendCents));
  expect(errors, errors.join("\n")).toEqual([]);
});

test("the custom range is a plain GET form: it works without JavaScript", async ({ browser, request }) => {
  const { company } = await seedDays(request);
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`/companies/${company.id}`);
  await page.getByLabel("From", { exact: true }).fill(day(2));
  await page.getByLabel("To", { exact: true }).fill(daysBack(3));
  await Promise.all([
    page.waitForURL((url) => url.searchParams.get("from") === day(2) && url.searchParams.get("to") === daysBack(3)),
    page.getByRole("button", { name: "View range" }).click(),
  ]);
  // 7000 on the 2nd and 4500 on the last day; the 1000 and 200 between them too.
  const summary = await json(request, `/api/companies/${company.id}/costs/summary?from=${day(2)}&to=${daysBack(2)}`);
  expect(summary.spendCents).toBe(12700);
  await expect(page.getByTestId("tile-spend")).toHaveText(dollars(12700));
  await expect(page.getByLabel("From", { exact: true })).toHaveValue(day(2));
  // The tabs carry it as plain links.
  await page.getByRole("navigation", { name: "Company pages" }).getByRole("link", { name: "Agents" }).click();
  await expect(page.getByTestId("agent-row").getByTestId("spend")).toHaveText([dollars(11500), dollars(1200)]);
  await context.close();
});

test("a bad range in the URL shows the API's refusal, not a blank page", async ({ page, request }) => {
  const { company } = await seedDays(request);
  await gotoHydrated(page, `/companies/${company.id}?from=${daysBack(1)}&to=${daysBack(5)}`);
  await expect(page.getByRole("alert").filter({ hasText: "invalid field `to`: must be after `from`" })).toHaveCount(1);
  await expect(page.getByTestId("range-label")).toHaveText("Showing no valid range");
  await page.goto(`/companies/${company.id}/agents?from=2026-02-30&to=${daysBack(0)}`);
  await expect(page.getByRole("alert").filter({ hasText: "invalid field `from`" })).toHaveCount(1);
  // The range controls are still there to pick a good one.
  await page.getByRole("link", { name: "Last 30 days" }).click();
  await page.waitForURL((url) => url.searchParams.get("from") === daysBack(29));
  await expect(page.getByTestId("agent-row")).toHaveCount(2);
});

test("dates that are not one calendar month are not measured against the monthly budgets", async ({ page, request }) => {
  const company = await createCompany(request, unique("Levels"), 10000); // $100 a month
  const writer = await createAgent(request, company.id, "writer", 1000); // $10 a month
  await postEvent(request, company.id, { agentId: writer.id, costCents: 1500, occurredAt: `${daysBack(0)}T08:00:00Z` });
  const OK = "#2456d6";
  const OVER = "#c53030";
  type Bar = { value: number; itemStyle: { color: string } };
  const agentBars = async () => {
    const option = await chartOption(page, "chart-agents");
    return { spend: option.series[0].data as Bar[], budget: points(option.series[1].data) };
  };
  const budgetLines = async () => JSON.stringify((await chartOption(page, "chart-daily")).series).includes("Budget");

  // This month: the writer is at 150% of its budget, the company at 15%.
  await gotoHydrated(page, `/companies/${company.id}`);
  await expect(page.getByTestId("tile-utilization")).toHaveText("15.00%");
  await expect(page.getByTestId("tile-status")).toHaveText("OK");
  await expect(page.getByTestId("range-note")).toHaveCount(0);
  expect((await agentBars()).spend[0].itemStyle.color).toBe(OVER);
  expect((await agentBars()).budget).toEqual([10]);
  expect(await budgetLines()).toBe(true);

  // The last 7 days hold the same $15, but a week is not what a monthly budget measures.
  await page.getByRole("link", { name: "Last 7 days" }).click();
  await page.waitForURL((url) => url.searchParams.get("from") === daysBack(6));
  await expect(page.getByTestId("tile-spend")).toHaveText(dollars(1500));
  await expect(page.getByTestId("tile-utilization")).toHaveText("n/a");
  await expect(page.getByTestId("tile-status")).toHaveCount(0);
  await expect(page.getByTestId("range-note")).toHaveText("Budgets are monthly: usage and levels show for a calendar month.");
  await expect.poll(async () => (await agentBars()).spend[0].itemStyle.color).toBe(OK);
  expect((await agentBars()).budget).toEqual([null]);
  await expect.poll(budgetLines).toBe(false);

  // The agents table and the agent's page say the same.
  await page.getByRole("navigation", { name: "Company pages" }).getByRole("link", { name: "Agents" }).click();
  await page.waitForURL((url) => url.pathname.endsWith("/agents"));
  const row = page.getByTestId("agent-row");
  await expect(row.getByTestId("spend")).toHaveText(dollars(1500));
  await expect(row.getByTestId("usage-not-a-month")).toHaveText("n/a");
  await row.getByRole("link", { name: "writer" }).click();
  await page.waitForURL((url) => url.pathname.includes("/agents/") && url.searchParams.get("from") === daysBack(6));
  await expect(page.getByTestId("usage-not-a-month")).toHaveText("n/a");

  // The whole month given as days is a calendar month again.
  await page.goto(`/companies/${company.id}/agents?from=${MONTH}-01&to=${MONTH}-${DAYS_IN_MONTH}`);
  await expect(page.getByTestId("agent-row").getByRole("meter")).toHaveAttribute("aria-valuenow", "150.00");
  await expect(page.getByTestId("usage-not-a-month")).toHaveCount(0);
  await expect(page.getByTestId("range-note")).toHaveCount(0);
});
