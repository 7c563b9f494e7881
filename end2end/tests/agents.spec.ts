import { APIRequestContext, expect, test } from "@playwright/test";
import { gotoHydrated, postEvent, seed, watchCalls } from "./helpers";

async function agent(request: APIRequestContext, id: string) {
  return (await (await request.get(`/api/agents/${id}`)).json()) as {
    status: string;
    budgetMonthlyCents: number;
    utilizationPercent: number;
  };
}

test("setting an agent's budget: one click, one call, the page and the API agree", async ({ page, request }) => {
  const { company, writer } = await seed(request);
  await gotoHydrated(page, `/companies/${company.id}/agents`);
  const row = page.locator(`[data-agent-id="${writer.id}"]`);
  await expect(row).toContainText("64.00%"); // $32 of $50
  const input = row.getByLabel("Monthly budget of writer in dollars");
  const calls = watchCalls(page, "set_budget");

  await input.fill("200");
  await row.getByRole("button", { name: "Set budget" }).click();
  await expect(row).toContainText("16.00%");
  expect(calls).toEqual({ fetches: 1, posts: 0 });
  const a = await agent(request, writer.id);
  expect([a.budgetMonthlyCents, a.utilizationPercent]).toEqual([20000, 16]);

  // A bad amount is refused next to the field, and changes nothing.
  await input.fill("12.345");
  await row.getByRole("button", { name: "Set budget" }).click();
  await expect(row.locator(".field-error")).toContainText("two decimals");
  expect(calls).toEqual({ fetches: 2, posts: 0 });
  expect((await agent(request, writer.id)).budgetMonthlyCents).toBe(20000);
});

test("an agent over budget shows as paused; resume refuses until the budget is raised", async ({ page, request }) => {
  const { company, writer } = await seed(request);
  const e = await postEvent(request, company.id, { agentId: writer.id, costCents: 1800 }); // $50 of $50
  expect(e.enforcement.agentStatus).toBe("paused");

  await gotoHydrated(page, `/companies/${company.id}/agents`);
  const row = page.locator(`[data-agent-id="${writer.id}"]`);
  await expect(row).toContainText("paused: budget");
  await expect(row).toContainText("100.00%");
  const status = watchCalls(page, "set_status");
  const budget = watchCalls(page, "set_budget");

  await row.getByRole("button", { name: "Resume" }).click();
  await expect(row.locator(".row-error")).toContainText("over its monthly budget");
  expect(status).toEqual({ fetches: 1, posts: 0 });
  expect((await agent(request, writer.id)).status).toBe("paused");

  // Raising the budget resumes it at once (a budget pause lifts itself).
  await row.getByLabel("Monthly budget of writer in dollars").fill("100");
  await row.getByRole("button", { name: "Set budget" }).click();
  await expect(row).toContainText("50.00%");
  await expect(row.getByRole("button", { name: "Pause" })).toBeVisible();
  expect(budget).toEqual({ fetches: 1, posts: 0 });
  expect((await agent(request, writer.id)).status).toBe("active");

  // Paused by hand, then resumed by hand: one call each.
  await row.getByRole("button", { name: "Pause" }).click();
  await expect(row).toContainText("paused: by hand");
  expect(status).toEqual({ fetches: 2, posts: 0 });
  expect((await agent(request, writer.id)).status).toBe("paused");
  await row.getByRole("button", { name: "Resume" }).click();
  await expect(row.getByRole("button", { name: "Pause" })).toBeVisible();
  expect(status).toEqual({ fetches: 3, posts: 0 });
  expect((await agent(request, writer.id)).status).toBe("active");
});
