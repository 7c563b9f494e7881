import { expect, test } from "@playwright/test";
import { gotoHydrated, seed } from "./helpers";

/** Every dashboard page: `DASHBOARD_PAGES` in tests/api/auth/matrix.rs, `{a}` a company. */
const PAGES = [
  "/",
  "/prices",
  "/companies/{a}",
  "/companies/{a}/agents",
  "/companies/{a}/projects",
  "/companies/{a}/alerts",
  "/companies/{a}/events",
  "/companies/{a}/settings",
  "/companies/{a}/notifications",
  "/companies/{a}/activity",
];

test.use({ viewport: { width: 390, height: 844 } });

test("at 390 px every page's controls can be reached and used", async ({ page, request }) => {
  const { company } = await seed(request);
  for (const path of PAGES) {
    await gotoHydrated(page, path.replace("{a}", company.id));
    // The page itself never scrolls sideways: what is wider scrolls inside its own box.
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(widths[0], `${path}: the page is wider than the screen`).toBeLessThanOrEqual(widths[1]);
    // Each control, scrolled into view (the page, and any box holding it), is on the screen
    // and is what a tap at its middle reaches.
    const unreachable = await page.evaluate(() => {
      const controls = [
        ...document.querySelectorAll<HTMLElement>(
          "header a[href], header button, main a[href], main button, main input:not([type=hidden]), main select, main summary",
        ),
      ].filter((el) => {
        const r = el.getBoundingClientRect();
        // checkVisibility: not inside a closed <details> (laid out, but not rendered).
        return r.width > 1 && r.height > 1 && el.checkVisibility({ visibilityProperty: true });
      });
      const bad: string[] = [];
      for (const el of controls) {
        el.scrollIntoView({ block: "center", inline: "center" });
        // The first line box: a link wrapped over two lines has a gap in the middle of its box.
        const r = el.getClientRects()[0];
        const x = r.left + Math.min(r.width / 2, 8);
        const y = r.top + r.height / 2;
        const hit = x >= 0 && x < window.innerWidth && y >= 0 && y < window.innerHeight ? document.elementFromPoint(x, y) : null;
        const label = hit?.closest("label") as HTMLLabelElement | null;
        if (!hit || !(el === hit || el.contains(hit) || label?.control === el)) {
          bad.push(`${el.tagName.toLowerCase()} "${(el.textContent || el.getAttribute("aria-label") || el.getAttribute("name") || "").trim().slice(0, 40)}" at x=${Math.round(r.left)}`);
        }
      }
      return { count: controls.length, bad };
    });
    expect(unreachable.count, `${path}: controls found`).toBeGreaterThan(2);
    expect(unreachable.bad, `${path}`).toEqual([]);
  }
});
