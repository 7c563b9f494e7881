import { expect, test } from "@playwright/test";

// /api/docs: Redoc, served by the binary from public/, renders /api/openapi.json with
// nothing fetched from anywhere else.
test("the API reference page renders the OpenAPI document without a CDN", async ({ page, baseURL }) => {
  const elsewhere: string[] = [];
  const failed: string[] = [];
  page.on("request", (r) => {
    if (!r.url().startsWith(baseURL!) && !r.url().startsWith("data:") && !r.url().startsWith("blob:")) {
      elsewhere.push(r.url());
    }
  });
  page.on("requestfailed", (r) => failed.push(r.url()));
  await page.goto("/api/docs");
  await expect(page.locator("h1").first()).toContainText("Costline");
  // An operation and its path, as Redoc lays them out from the document.
  await expect(page.getByText("/api/companies/{company_id}/cost-events/batch").first()).toBeAttached();
  await expect(page.locator("[data-section-id^='tag/cost-events']").first()).toBeAttached();
  expect(elsewhere).toEqual([]);
  expect(failed).toEqual([]);
});
