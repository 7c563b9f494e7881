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
