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

test("no serious or critical accessibility violation on any dashboard page (axe)", async ({ page, request }) => {
  const { company, writer } = await seed(request);
  // An alert and a paused agent, so those rows are on their pages too.
  const r = await request.post(`/api/companies/${company.id}/cost-events`, {
    data: { agentId: writer.id, provider: "anthropic", model: "claude-sonnet-4", costCents: 5000 },
  });
  expect(r.status()).toBe(201);
  for (const path of PAGES) {
    await gotoHydrated(page, path.replace("{a}", company.id));
    // Touch targets too (WCAG 2.2's 24 px, off in axe by default; Lighthouse checks it).
    const result = await new AxeBuilder({ page }).options({ rules: { "target-size": { enabled: true } } }).analyze();
    const bad = result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    expect(bad, `${path}\n${bad.join("\n")}`).toEqual([]);
  }
});
