import { expect, test } from "@playwright/test";
import { NOW, createAgent, createCompany, day, gotoHydrated, postEvent, unique } from "./helpers";

test("the overview and the agents table say the day a budget runs out", async ({ page, request }) => {
  const today = NOW.getUTCDate();
  // $100 for the company, $120 for the agent; $10 on each of the 7 full days before today.
  const company = await createCompany(request, unique("Forecast"), 10000);
  const agent = await createAgent(request, company.id, "looper", 12000);
  for (let d = today - 7; d < today; d++) {
    await postEvent(request, company.id, { agentId: agent.id, costCents: 1000, occurredAt: `${day(d)}T10:00:00Z` });
  }
  // $70 spent, $10 a day from today on: the company's $100 is reached 3 days after today,
  // the agent's $120 five days after.
  const summary = await (await request.get(`/api/companies/${company.id}/costs/summary`)).json();
  expect(summary.forecast.dailyRateCents).toBe(1000);
  expect(summary.forecast.projectedExhaustionDate).toBe(day(today + 3));

  await gotoHydrated(page, `/companies/${company.id}`);
  await expect(page.getByTestId("tile-runs-out")).toHaveText(`runs out on ${day(today + 3)}`);
  const monthEnd = 7000 + 1000 * (new Date(Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth() + 1, 0)).getUTCDate() - today);
  expect(summary.forecast.projectedMonthEndCents).toBe(monthEnd);
  await expect(page.getByTestId("tile-forecast")).toHaveText(`$${(monthEnd / 100).toFixed(2)} by month end`);

  await gotoHydrated(page, `/companies/${company.id}/agents`);
  const row = page.locator(`[data-agent-id="${agent.id}"]`);
  await expect(row.getByTestId("runs-out")).toHaveText(day(today + 5));

  // Both projections reach 100% while spend is under 80%: one forecast alert each.
  await gotoHydrated(page, `/companies/${company.id}/alerts`);
  await expect(page.getByTestId("alert-row").filter({ hasText: "Forecast: runs out this month" })).toHaveCount(2);
});

test("an agent tripped by the runaway guard shows why, and resuming it re-arms the guard", async ({ page, request }) => {
  const company = await createCompany(request, unique("Guard")); // no monthly budget at all
  const agent = await createAgent(request, company.id, "runaway");
  const guard = await request.patch(`/api/agents/${agent.id}`, { data: { maxHourlyCents: 500 } });
  expect(guard.status()).toBe(200);
  await postEvent(request, company.id, { agentId: agent.id, costCents: 300 });
  const tripped = await postEvent(request, company.id, { agentId: agent.id, costCents: 200 });
  expect(tripped.enforcement.agentStatus).toBe("paused");

  await gotoHydrated(page, `/companies/${company.id}/agents`);
  const row = page.locator(`[data-agent-id="${agent.id}"]`);
  await expect(row.locator(".badge.paused")).toHaveText("paused: runaway guard");
  await gotoHydrated(page, `/companies/${company.id}/alerts`);
  await expect(page.getByTestId("alert-row").filter({ hasText: "Runaway guard: hourly limit" })).toHaveCount(1);

  await gotoHydrated(page, `/companies/${company.id}/agents`);
  await row.getByRole("button", { name: "Resume" }).click();
  await expect(row.locator(".badge.active")).toHaveText("active");
  const resumed = await (await request.get(`/api/agents/${agent.id}`)).json();
  expect([resumed.status, resumed.pauseReason]).toEqual(["active", null]);
  // Re-armed from the resume on: the $5 before it no longer count, a new cent runs.
  const after = await postEvent(request, company.id, { agentId: agent.id, costCents: 1 });
  expect(after.enforcement.agentStatus).toBe("active");
});
