import { expect, test } from "@playwright/test";
import { collectPageErrors, createCompany, gotoHydrated, unique } from "./helpers";

test("the company list renders on the server and hydrates in the browser", async ({ page, request }) => {
  const tag = unique("hyd");
  await createCompany(request, `${tag} Acme Robotics`, 100000);
  await createCompany(request, `${tag} Globex`, 0);
  const errors = collectPageErrors(page);

  // Server-rendered: the rows are in the HTML before any script runs.
  const html = await (await request.get("/")).text();
  expect(html).toContain(`${tag} Acme Robotics`);
  expect(html).toContain(`${tag} Globex`);
  expect(html).not.toContain("data-hydrated");

  await gotoHydrated(page, "/");
  const filter = page.getByLabel("Filter companies by name");
  const rows = page.getByTestId("company-row");
  await expect(rows.filter({ hasText: tag })).toHaveCount(2);

  // Filtering happens in the browser only: typing once filters, since the app hydrated.
  await filter.fill(`${tag} glob`);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("Globex");
  await expect(page.getByTestId("company-count")).toContainText("1 of");

  await filter.fill(tag);
  await expect(rows).toHaveCount(2);
  expect(errors, `errors in the page: ${errors.join("\n")}`).toEqual([]);
});
