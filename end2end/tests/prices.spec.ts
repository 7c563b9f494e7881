import { expect, test } from "@playwright/test";
import { createAgent, createCompany, day, gotoHydrated, unique, watchCalls } from "./helpers";

test("the price book lists prices and the form adds one that prices new events", async ({ page, request }) => {
  const model = unique("model").replace(/\s/g, "-");
  await page.goto("/prices");
  await expect(page.getByTestId("price-row").filter({ hasText: "claude-sonnet-4-*" })).toHaveCount(1);
  await expect(page.getByTestId("price-row").filter({ hasText: "claude-sonnet-4-*" })).toContainText("$3.00");

  const company = await createCompany(request, unique("Prices"), 0);
  const agent = await createAgent(request, company.id, "a", 0);
  const unpriced = await request.post(`/api/companies/${company.id}/cost-events`, {
    data: { agentId: agent.id, provider: "acme", model, inputTokens: 2_000_000 },
  });
  expect((await unpriced.json()).costSource).toBe("unpriced");
  await page.goto(`/companies/${company.id}`);
  await expect(page.getByTestId("tile-unpriced")).toHaveText("1");
  await expect(page.getByTestId("tiles")).toContainText("2000000 tokens counted at $0");

  await gotoHydrated(page, "/prices");
  const calls = watchCalls(page, "put_price");
  await page.getByLabel("Provider").fill("acme");
  await page.getByLabel("Model or pattern").fill(model);
  await page.getByLabel("From (UTC)").fill(day(1));
  await page.getByLabel("Input $/M", { exact: true }).fill("0.075");
  await page.getByLabel("Output $/M").fill("2.5");
  await page.getByRole("button", { name: "Save price" }).click();
  const row = page.getByTestId("price-row").filter({ hasText: model });
  await expect(row).toContainText("$0.075");
  await expect(row).toHaveCount(1);
  expect(calls).toEqual({ fetches: 1, posts: 0 });

  const priced = await request.post(`/api/companies/${company.id}/cost-events`, {
    data: { agentId: agent.id, provider: "acme", model, inputTokens: 2_000_000 },
  });
  const body = await priced.json();
  expect(body.costSource).toBe("computed");
  expect(body.costMicroCents).toBe(15_000_000); // 2M tokens at $0.075 per million = 15 cents

  // A bad amount is refused next to its field.
  await page.getByLabel("Input $/M", { exact: true }).fill("abc");
  await page.getByRole("button", { name: "Save price" }).click();
  await expect(page.locator(".field-error")).toContainText("dollars per million");
  expect(calls).toEqual({ fetches: 2, posts: 0 });
});
