import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { createAgent, createCompany, gotoHydrated, unique, watchCalls } from "./helpers";

// A small map in LiteLLM's format: with the providers given, 3 anthropic prices are new to
// the shipped book (claude-opus-4-1, its snapshot pattern and its dated snapshot), 2 openai.
const SMALL_MAP = path.join(__dirname, "..", "..", "tests", "fixtures", "litellm-prices-small.json");

test("the price book shows sources, lists unpriced models, and one click prices one", async ({ page, request }) => {
  await page.goto("/prices");
  const sonnet = page.getByTestId("price-row").filter({ hasText: "claude-sonnet-4-5-20250929" });
  await expect(sonnet).toContainText("$3.00");
  await expect(sonnet.getByTestId("price-source")).toHaveText("LiteLLM price map, litellm 1.110.2 on PyPI (uploaded 2026-11-20)");

  const model = unique("model").replace(/\s/g, "-");
  const company = await createCompany(request, unique("Prices"), 0);
  const agent = await createAgent(request, company.id, "a", 0);
  const unpriced = await request.post(`/api/companies/${company.id}/cost-events`, {
    data: { agentId: agent.id, provider: "acme", model, inputTokens: 2_000_000 },
  });
  expect((await unpriced.json()).costSource).toBe("unpriced");

  await gotoHydrated(page, "/prices");
  const row = page.getByTestId("unpriced-row").filter({ hasText: model });
  await expect(row).toContainText("2,000,000");
  // A plain GET form: a page load that fills in the price form.
  await Promise.all([
    page.waitForURL(/\/prices\?provider=/),
    row.getByRole("button", { name: "Add a price" }).click(),
  ]);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
  await expect(page.getByLabel("Model or pattern")).toHaveValue(model);
  await expect(page.getByLabel("Provider", { exact: true })).toHaveValue("acme");
  const calls = watchCalls(page, "put_price");
  await page.getByLabel("Input $/M", { exact: true }).fill("0.075");
  await page.getByLabel("Output $/M").fill("2.5");
  await page.getByRole("button", { name: "Save price" }).click();
  const added = page.getByTestId("price-row").filter({ hasText: model });
  await expect(added).toContainText("$0.075");
  await expect(added).toHaveCount(1);
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

async function uploadMap(page: Page, providers: string) {
  await page.goto("/prices");
  await page.getByLabel("Price map (JSON)").setInputFiles(SMALL_MAP);
  await page.getByLabel("Providers").fill(providers);
  await page.getByLabel("Prices from (UTC)").fill("2025-01-01");
  await Promise.all([page.waitForURL(/\/prices\?import=/), page.getByRole("button", { name: "Preview import" }).click()]);
}

test("an uploaded price map shows its diff, and applies only when asked", async ({ page, request }) => {
  const before = (await (await request.get("/api/model-prices")).json()).length;
  await uploadMap(page, "openai");
  await expect(page.getByTestId("import-summary")).toContainText("2 new, 0 changed");
  await expect(page.getByTestId("import-row").filter({ hasText: "noisy-float-model-*" })).toContainText("$2.99999");
  expect((await (await request.get("/api/model-prices")).json()).length).toBe(before);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
  const calls = watchCalls(page, "apply_price_import");
  await page.getByRole("button", { name: "Apply: add 2 prices" }).click();
  await expect(page.getByTestId("import-done")).toHaveText("Added 2 prices from the map.");
  expect((await (await request.get("/api/model-prices")).json()).length).toBe(before + 2);
  expect(calls).toEqual({ fetches: 1, posts: 0 });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the import is a plain upload, a diff page and a form post", async ({ page, request }) => {
    const before = (await (await request.get("/api/model-prices")).json()).length;
    await uploadMap(page, "anthropic");
    await expect(page.getByTestId("import-summary")).toContainText("3 new, 0 changed, 13 unchanged");
    await Promise.all([
      page.waitForURL(/\/prices\?imported=3/),
      page.getByRole("button", { name: "Apply: add 3 prices" }).click(),
    ]);
    await expect(page.getByTestId("import-done")).toHaveText("Added 3 prices from the map.");
    expect((await (await request.get("/api/model-prices")).json()).length).toBe(before + 3);

    // A bad map comes back as an error on the page, naming the entry.
    await page.goto("/prices");
    await page.getByLabel("Price map (JSON)").setInputFiles({
      name: "bad.json",
      mimeType: "application/json",
      buffer: Buffer.from('{"claude-x": {"litellm_provider": "anthropic", "input_cost_per_token": -1}}'),
    });
    await page.getByRole("button", { name: "Preview import" }).click();
    await expect(page.getByTestId("import-error")).toContainText("claude-x");
  });
});
