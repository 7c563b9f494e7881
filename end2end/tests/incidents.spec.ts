import { APIRequestContext, expect, test } from "@playwright/test";
import { createAgent, createCompany, gotoHydrated, postEvent, submitWithoutJs, unique, watchCalls } from "./helpers";

// Incidents and override requests from the overview's "Needs attention", and the Activity
// page listing the decision just made.

async function json(request: APIRequestContext, path: string) {
  return (await request.get(path)).json();
}

/** A company whose agent spent its $10 budget: paused, a soft and a hard incident open. */
async function stopped(request: APIRequestContext) {
  const company = await createCompany(request, unique("Incidents"), 0);
  const agent = await createAgent(request, company.id, "writer", 1000);
  const e = await postEvent(request, company.id, { agentId: agent.id, costCents: 1000 });
  expect(e.enforcement.agentStatus).toBe("paused");
  return { company, agent };
}

test("resolve an incident from the overview, hydrated: one call, the agent resumes", async ({ page, request }) => {
  const { company, agent } = await stopped(request);
  await gotoHydrated(page, `/companies/${company.id}`);
  const attention = page.getByTestId("needs-attention");
  await expect(attention.getByTestId("incident")).toHaveCount(2);
  const hard = attention.locator('[data-testid="incident"][data-kind="hard"]');
  await expect(hard).toContainText("reached its budget and was paused: $10.00 of $10.00");
  const calls = watchCalls(page, "resolve_incident");
  await hard.getByLabel("Decision", { exact: true }).selectOption("extend_month");
  await hard.getByLabel("Amount in dollars").fill("5");
  await hard.getByLabel("Decision note").fill("demo day");
  await hard.getByRole("button", { name: "Apply" }).click();
  await expect(attention.getByTestId("incident")).toHaveCount(1);
  expect(calls).toEqual({ fetches: 1, posts: 0 });
  const a = await json(request, `/api/agents/${agent.id}`);
  expect([a.status, a.extensionCents, a.budgetMonthlyCents]).toEqual(["active", 500, 1000]);

  // A refusal shows next to the incident and changes nothing.
  const soft = attention.locator('[data-testid="incident"][data-kind="soft"]');
  await soft.getByLabel("Decision", { exact: true }).selectOption("raise_budget");
  await soft.getByLabel("Amount in dollars").fill("5");
  await soft.getByRole("button", { name: "Apply" }).click();
  await expect(soft.locator(".row-error")).toContainText("already spent");
  expect((await json(request, `/api/agents/${agent.id}`)).budgetMonthlyCents).toBe(1000);

  // The Activity page lists the decision.
  await gotoHydrated(page, `/companies/${company.id}/activity`);
  const rows = page.getByTestId("activity-row");
  await expect(rows.first()).toHaveAttribute("data-action", "incident.resolved");
  await expect(page.getByTestId("activity")).toContainText("extensionCents: 0 → 500");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("resolve an incident and approve a request with plain form posts", async ({ page, request }) => {
    const { company, agent } = await stopped(request);
    const r = await request.post(`/api/agents/${agent.id}/budget-requests`, {
      data: { amountCents: 300, reason: "one more report" },
    });
    expect(r.status()).toBe(201);
    await page.goto(`/companies/${company.id}`);
    const attention = page.getByTestId("needs-attention");
    const hard = attention.locator('[data-testid="incident"][data-kind="hard"]');
    await hard.getByLabel("Decision", { exact: true }).selectOption("raise_budget");
    await hard.getByLabel("Amount in dollars").fill("20");
    await submitWithoutJs(page, "resolve_incident", () => hard.getByRole("button", { name: "Apply" }).click());
    await expect(attention.getByTestId("incident")).toHaveCount(1);
    const a = await json(request, `/api/agents/${agent.id}`);
    expect([a.status, a.budgetMonthlyCents]).toEqual(["active", 2000]);

    const ask = attention.getByTestId("request");
    await expect(ask).toContainText("one more report");
    await submitWithoutJs(page, "approve_request", () => ask.getByRole("button", { name: "Approve" }).click());
    await expect(page.getByTestId("request")).toHaveCount(0);
    expect((await json(request, `/api/agents/${agent.id}`)).extensionCents).toBe(300);

    await page.goto(`/companies/${company.id}/activity?target=budget_request`);
    await expect(page.getByTestId("activity-row").first()).toHaveAttribute("data-action", "budget_request.approved");
  });
});

test("approve a request from the overview, hydrated", async ({ page, request }) => {
  const { company, agent } = await stopped(request);
  const r = await request.post(`/api/agents/${agent.id}/budget-requests`, {
    data: { amountCents: 250, reason: "finish the batch" },
  });
  const asked = await r.json();
  await gotoHydrated(page, `/companies/${company.id}`);
  const ask = page.getByTestId("request");
  await expect(ask).toContainText("asks for $2.50");
  await ask.getByLabel("How to approve").selectOption("extend_month");
  await ask.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByTestId("request")).toHaveCount(0);
  const decided = await json(request, `/api/budget-requests/${asked.id}`);
  expect([decided.status, decided.decidedCents]).toEqual(["approved", 250]);
  expect((await json(request, `/api/agents/${agent.id}`)).status).toBe("active");
});
