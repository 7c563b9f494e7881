import { expect, test } from "@playwright/test";
import { collectPageErrors, createCompany, gotoHydrated, seed, unique } from "./helpers";

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

test("a page's code comes with the page: the overview loads its own chunk, the Events tab its group's", async ({ page, request }) => {
  const { company } = await seed(request);
  const errors = collectPageErrors(page);
  const chunks: string[] = [];
  page.on("request", (r) => {
    // `split_<group>.<hash>.wasm`: a group of pages' own code (src/app/routes.rs)
    const m = new URL(r.url()).pathname.match(/^\/pkg\/split_([a-z_]+)\./);
    if (m) chunks.push(m[1]);
  });

  // A cold load of the overview: its chunk, named in the page (preloaded), and no other page's.
  await gotoHydrated(page, `/companies/${company.id}`);
  expect(chunks).toEqual(["overview_page"]);
  await expect(page.getByTestId("tile-spend")).toContainText("$123.45");

  // Navigating in the app fetches the next page's group, then shows the page.
  await page.getByRole("link", { name: "Events", exact: true }).click();
  await expect(page.getByTestId("events-table")).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`/companies/${company.id}/events$`));
  expect(chunks).toEqual(["overview_page", "record_pages"]);
  expect(errors, `errors in the page: ${errors.join("\n")}`).toEqual([]);
});

test("a page whose code cannot be fetched, as in a tab opened before an upgrade, is loaded whole from the server", async ({ page, request }) => {
  const { company } = await seed(request);
  const events = `/companies/${company.id}/events`;
  await gotoHydrated(page, `/companies/${company.id}`);
  // The other pages' chunk is gone, as when an upgrade gave it a new name.
  await page.route(/\/pkg\/split_record_pages\./, (r) => r.fulfill({ status: 404, body: "gone" }));
  const documentLoads: string[] = [];
  page.on("request", (r) => {
    if (r.isNavigationRequest()) documentLoads.push(new URL(r.url()).pathname);
  });

  await page.getByRole("link", { name: "Events", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${events}$`));
  await expect(page.getByTestId("events-table")).toBeVisible();
  expect(documentLoads).toEqual([events]);

  // Hydrating that page needs the missing chunk too: the page stays as the server sent it,
  // with no mark and no second load.
  // (A second load would be network traffic after the main module has run.)
  await page.waitForLoadState("networkidle");
  await expect(page.getByTestId("events-table")).toBeVisible();
  expect(await page.locator("body").getAttribute("data-hydrated")).toBeNull();
  expect(documentLoads).toEqual([events]);
});
