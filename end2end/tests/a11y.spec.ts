import AxeBuilder from "@axe-core/playwright";
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

// One test per page: each has its own time budget (axe takes seconds a page on a slow
// machine, ten pages in one test came near its minute), and a failure names its page.
for (const path of PAGES) {
  test(`no serious or critical accessibility violation on ${path} (axe)`, async ({ page, request }) => {
    const { company, writer } = await seed(request);
    // An alert and a paused agent, so those rows are on their pages too.
    const r = await request.post(`/api/companies/${company.id}/cost-events`, {
      data: { agentId: writer.id, provider: "anthropic", model: "claude-sonnet-4", costCents: 5000 },
    });
    expect(r.status()).toBe(201);
    await gotoHydrated(page, path.replace("{a}", company.id));
    // Touch targets too (WCAG 2.2's 24 px, off in axe by default; Lighthouse checks it).
    const result = await new AxeBuilder({ page }).options({ rules: { "target-size": { enabled: true } } }).analyze();
    const bad = result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    expect(bad, bad.join("\n")).toEqual([]);
  });
}
