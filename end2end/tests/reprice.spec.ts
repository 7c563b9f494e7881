import { expect, test } from "@playwright/test";
import { MONTH, createAgent, createCompany, gotoHydrated, postEvent, unique } from "./helpers";

// Repricing from the dashboard: a dry run that changes nothing, then Apply; with JavaScript
// and without.

async function unpricedCompany(request: import("@playwright/test").APIRequestContext) {
  const model = `m-${Math.random().toString(36).slice(2, 10)}`;
  const company = await createCompany(request, unique("Reprice"), 0);
  const agent = await createAgent(request, company.id, "writer", 0);
  for (const inputTokens of [2_000_000, 1_000_000]) {
    const e = await postEvent(request, company.id, { agentId: agent.id, provider: "acme", model, inputTokens, outputTokens: 0 });
    expect(e.costSource).toBe("unpriced");
  }
  // $4 per million input tokens from the start of the month: $12.00 for the two events.
  const r = await request.put("/api/model-prices", {
    data: { provider: "acme", model, effectiveFrom: `${MONTH}-01`, inputMicroCentsPerMTok: 400_000_000, outputMicroCentsPerMTok: 0 },
  });
  expect(r.status()).toBe(201);
  return company;
}

async function spend(request: import("@playwright/test").APIRequestContext, id: string) {
  return (await (await request.get(`/api/companies/${id}`)).json()).spentMonthlyCents as number;
}

test("with JavaScript: the dry run shows what Apply then does", async ({ page, request }) => {
  const company = await unpricedCompany(request);
  await gotoHydrated(page, `/companies/${company.id}/reprice`);
  await page.getByRole("button", { name: "Dry run" }).click();
  await expect(page.getByTestId("reprice-would")).toHaveText("2");
  await expect(page.getByTestId("reprice-added")).toHaveText("$12.00");
  expect(await spend(request, company.id)).toBe(0);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("reprice-applied")).toContainText("Repriced 2 events: $12.00 added.");
  expect(await spend(request, company.id)).toBe(1200);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the dry run is a page, Apply a form post", async ({ page, request }) => {
    const company = await unpricedCompany(request);
    await page.goto(`/companies/${company.id}/reprice`);
    await page.getByRole("button", { name: "Dry run" }).click();
    await expect(page.getByTestId("reprice-would")).toHaveText("2");
    expect(await spend(request, company.id)).toBe(0);
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(page.getByTestId("reprice-applied")).toContainText("Repriced 2 events: $12.00 added.");
    expect(await spend(request, company.id)).toBe(1200);
  });
});
