import { APIRequestContext, Page, expect } from "@playwright/test";

/**
 * The servers' clock starts at this instant (scripts/e2e.sh sets it for them and for us), so
 * every date in these tests derives from it, never from the machine's clock: the tests mean
 * the same on any day, the 1st of a month and a run across midnight included.
 */
export const NOW = new Date(process.env.COSTLINE_E2E_NOW ?? "2026-11-15T12:00:00Z");
if (NOW.getUTCDate() < 10 || NOW.getUTCDate() > 25) {
  throw new Error(`COSTLINE_E2E_NOW must be mid-month; it is ${NOW.toISOString()}`);
}
/** The server's month, `YYYY-MM`. */
export const MONTH = NOW.toISOString().slice(0, 7);
/** The month before, `YYYY-MM`. */
export const PREVIOUS_MONTH = new Date(Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth() - 1, 1))
  .toISOString()
  .slice(0, 7);
/** Days in the server's month. */
export const DAYS_IN_MONTH = new Date(Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth() + 1, 0)).getUTCDate();

/** `YYYY-MM-DD` of day `d` of the server's month (or of `month`). */
export function day(d: number, month = MONTH): string {
  return `${month}-${String(d).padStart(2, "0")}`;
}

/** A unique name, so tests never see each other's data. */
export function unique(prefix: string): string {
  return `${prefix} ${Math.random().toString(36).slice(2, 10)}`;
}

export async function createCompany(request: APIRequestContext, name: string, budget = 0) {
  const r = await request.post("/api/companies", { data: { name, budgetMonthlyCents: budget } });
  expect(r.status()).toBe(201);
  return (await r.json()) as { id: string; name: string };
}

export async function createAgent(request: APIRequestContext, companyId: string, name: string, budget = 0) {
  const r = await request.post(`/api/companies/${companyId}/agents`, {
    data: { name, budgetMonthlyCents: budget },
  });
  expect(r.status()).toBe(201);
  return (await r.json()) as { id: string; name: string };
}

/** Posts one cost event (defaults for the fields a test does not care about); expects a 201. */
export async function postEvent(request: APIRequestContext, companyId: string, body: Record<string, unknown>) {
  const r = await request.post(`/api/companies/${companyId}/cost-events`, {
    data: { provider: "anthropic", model: "claude-sonnet-4", inputTokens: 1000, outputTokens: 100, ...body },
  });
  expect(r.status(), await r.text()).toBe(201);
  return r.json();
}

/** Fails the test on any uncaught error in the page (a broken WASM bundle shows up here). */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  return errors;
}

/**
 * Opens `url` and waits until the app has hydrated (the mark the WASM entry point sets once
 * the page, its lazily loaded chunk included, is hydrated), so a click reaches the app's
 * handlers: one click, no retries.
 */
export async function gotoHydrated(page: Page, url: string) {
  await page.goto(url);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
}

/**
 * Counts the calls of the dashboard's server function `name` (`POST /rpc/{name}`) from now
 * on: `fetches` by the hydrated app, `posts` by a plain HTML form (a page navigation).
 */
export function watchCalls(page: Page, name: string) {
  const calls = { fetches: 0, posts: 0 };
  page.on("request", (r) => {
    if (r.method() === "POST" && new URL(r.url()).pathname === `/rpc/${name}`) {
      if (r.isNavigationRequest()) calls.posts += 1;
      else calls.fetches += 1;
    }
  });
  return calls;
}

/**
 * Submits a plain HTML form (JavaScript off) with `click`, and checks the no-JS round trip:
 * a POST to server function `name`, answered 302 back to the page it came from (with the
 * error in the URL when `refused`), which then loads again.
 */
export async function submitWithoutJs(page: Page, name: string, click: () => Promise<void>, refused = false) {
  const from = new URL(page.url());
  const isCall = (url: string) => new URL(url).pathname === `/rpc/${name}`;
  const posted = page.waitForRequest((r) => r.method() === "POST" && isCall(r.url()));
  const reloaded = page.waitForResponse((r) => {
    const origin = r.request().redirectedFrom();
    return r.request().method() === "GET" && origin !== null && isCall(origin.url());
  });
  await click();
  const post = await posted;
  expect(post.isNavigationRequest(), "a plain form post, not a fetch").toBe(true);
  const answer = await post.response();
  expect(answer?.status(), `POST /rpc/${name}`).toBe(302);
  const target = new URL(answer!.headers()["location"], from);
  const withoutError = (u: URL) => {
    const v = new URL(u);
    v.searchParams.delete("__err");
    v.searchParams.delete("__path");
    return v.href;
  };
  expect(withoutError(target), "back to the same page").toBe(withoutError(from));
  expect(target.searchParams.has("__err"), "the refusal travels in the redirect").toBe(refused);
  expect((await reloaded).status()).toBe(200);
  await page.waitForLoadState("load");
}

/**
 * A company ($1,000 a month) with two agents (writer: $50 a month; reviewer: none), a
 * project and five events worth $123.45 in all, posted now on the server's clock.
 */
export async function seed(request: APIRequestContext) {
  const company = await createCompany(request, unique("Dash"), 100000);
  const writer = await createAgent(request, company.id, "writer", 5000);
  const reviewer = await createAgent(request, company.id, "reviewer", 0);
  const pr = await request.post(`/api/companies/${company.id}/projects`, { data: { name: "Launch" } });
  expect(pr.status()).toBe(201);
  const project = (await pr.json()) as { id: string; name: string };
  await postEvent(request, company.id, { agentId: writer.id, costCents: 1200, projectId: project.id });
  await postEvent(request, company.id, { agentId: writer.id, costCents: 2000, model: "claude-opus-4" });
  await postEvent(request, company.id, { agentId: reviewer.id, costCents: 5000, provider: "openai", model: "gpt-5" });
  await postEvent(request, company.id, { agentId: reviewer.id, costCents: 4145, projectId: project.id });
  await postEvent(request, company.id, { agentId: reviewer.id, model: "mystery-model" }); // unpriced
  return { company, writer, reviewer, project };
}

/**
 * The ECharts option of chart `id` once it is drawn (charts exist only in the browser, and
 * are drawn once near the viewport: scrolled to first).
 */
export async function chartOption(page: Page, id: string) {
  await expect
    .poll(
      () =>
        page.evaluate((id) => {
          const el = document.getElementById(id);
          el?.scrollIntoView({ block: "center" });
          // @ts-ignore echarts is a global from /echarts.min.js
          const chart = el && window.echarts && window.echarts.getInstanceByDom(el);
          return chart ? chart.getOption().series.length : 0;
        }, id),
      { timeout: 20_000 },
    )
    .toBeGreaterThan(0);
  return page.evaluate((id) => {
    // @ts-ignore
    return window.echarts.getInstanceByDom(document.getElementById(id)).getOption();
  }, id);
}

/** A series' points as numbers, `null` where ECharts draws nothing ("-"). */
export function points(data: unknown[]): (number | null)[] {
  return data.map((v) => {
    const x = v !== null && typeof v === "object" && "value" in v ? (v as { value: unknown }).value : v;
    return typeof x === "number" ? x : null;
  });
}
