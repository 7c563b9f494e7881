import { APIRequestContext, Page, expect, test } from "@playwright/test";
import { collectPageErrors, createAgent, createCompany, unique } from "./helpers";

async function post(request: APIRequestContext, companyId: string, body: Record<string, unknown>) {
  const r = await request.post(`/api/companies/${companyId}/cost-events`, {
    data: { provider: "anthropic", model: "claude-sonnet-4", inputTokens: 1000, outputTokens: 100, ...body },
  });
  expect(r.status(), await r.text()).toBe(201);
  return r.json();
}

/** Waits until the page has hydrated: the overview's charts exist only in the browser. */
async function waitForChart(page: Page, id: string) {
  await expect
    .poll(
      () =>
        page.evaluate((id) => {
          const el = document.getElementById(id);
          // @ts-ignore echarts is a global from /echarts.min.js
          const chart = el && window.echarts && window.echarts.getInstanceByDom(el);
          return chart ? chart.getOption().series.length : 0;
        }, id),
      { timeout: 20_000 },
    )
    .toBeGreaterThan(0);
}

async function seriesCount(page: Page, id: string): Promise<number> {
  return page.evaluate((id) => {
    // @ts-ignore
    return window.echarts.getInstanceByDom(document.getElementById(id)).getOption().series.length;
  }, id);
}

/** A company with two agents, a project and five events worth $123.45 in all. */
async function seed(request: APIRequestContext) {
  const company = await createCompany(request, unique("Dash"), 100000);
  const writer = await createAgent(request, company.id, "writer", 5000);
  const reviewer = await createAgent(request, company.id, "reviewer", 0);
  const pr = await request.post(`/api/companies/${company.id}/projects`, { data: { name: "Launch" } });
  expect(pr.status()).toBe(201);
  const project = await pr.json();
  await post(request, company.id, { agentId: writer.id, costCents: 1200, projectId: project.id });
  await post(request, company.id, { agentId: writer.id, costCents: 2000, model: "claude-opus-4" });
  await post(request, company.id, { agentId: reviewer.id, costCents: 5000, provider: "openai", model: "gpt-5" });
  await post(request, company.id, { agentId: reviewer.id, costCents: 4145, projectId: project.id });
  await post(request, company.id, { agentId: reviewer.id, model: "mystery-model" }); // unpriced
  return { company, writer, reviewer, project };
}

test("the overview shows the right totals and draws all four charts", async ({ page, request }, testInfo) => {
  const { company } = await seed(request);
  const errors = collectPageErrors(page);
  await page.goto(`/companies/${company.id}`);

  await expect(page.getByTestId("tile-spend")).toHaveText("$123.45");
  await expect(page.getByTestId("tile-budget")).toHaveText("$1,000.00");
  await expect(page.getByTestId("tile-utilization")).toContainText("12.35%");
  await expect(page.getByTestId("tile-status")).toHaveText("OK");
  await expect(page.getByTestId("tile-paused")).toHaveText("0");
  await expect(page.getByTestId("tile-unpriced")).toHaveText("1");

  for (const [id, series] of [
    ["chart-agents", 2],
    ["chart-projects", 1],
    ["chart-daily", 2],
    ["chart-models", 1],
  ] as const) {
    await waitForChart(page, id);
    expect(await seriesCount(page, id), id).toBe(series);
    const canvas = page.locator(`#${id} canvas`).first();
    await expect(canvas).toBeVisible();
    const box = await canvas.boundingBox();
    expect(box && box.width > 100 && box.height > 100, `${id} canvas has a size`).toBeTruthy();
  }
  // The agent chart has one bar per agent, the spend in dollars.
  const agentData = await page.evaluate(() => {
    // @ts-ignore
    const opt = window.echarts.getInstanceByDom(document.getElementById("chart-agents")).getOption();
    return { names: opt.yAxis[0].data, spend: opt.series[0].data };
  });
  expect(agentData.names).toEqual(["writer", "reviewer"]);
  expect(agentData.spend).toEqual([32, 91.45]);

  await page.waitForTimeout(1500); // let the chart animations finish
  await page.screenshot({ path: testInfo.outputPath("overview.png"), fullPage: true });
  await page.screenshot({ path: "artifacts/overview.png", fullPage: true });
  expect(errors, errors.join("\n")).toEqual([]);
});

test("setting an agent's budget through the form updates the page and the API", async ({ page, request }) => {
  const { company, writer } = await seed(request);
  await page.goto(`/companies/${company.id}/agents`);
  const row = page.locator(`[data-agent-id="${writer.id}"]`);
  await expect(row).toContainText("64.00%"); // $32 of $50
  const input = row.getByLabel("Monthly budget of writer in dollars");

  await expect(async () => {
    await input.fill("200");
    await row.getByRole("button", { name: "Set budget" }).click();
    await expect(row).toContainText("16.00%", { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  const agent = await (await request.get(`/api/agents/${writer.id}`)).json();
  expect(agent.budgetMonthlyCents).toBe(20000);
  expect(agent.utilizationPercent).toBe(16);

  // A bad amount is refused next to the field, and changes nothing.
  await input.fill("12.345");
  await row.getByRole("button", { name: "Set budget" }).click();
  await expect(row.locator(".field-error")).toContainText("two decimals");
  expect((await (await request.get(`/api/agents/${writer.id}`)).json()).budgetMonthlyCents).toBe(20000);
});

test("an agent over budget shows as paused; resume refuses until the budget is raised", async ({ page, request }) => {
  const { company, writer } = await seed(request);
  const e = await post(request, company.id, { agentId: writer.id, costCents: 1800 }); // $50 of $50
  expect(e.enforcement.agentStatus).toBe("paused");

  await page.goto(`/companies/${company.id}/agents`);
  const row = page.locator(`[data-agent-id="${writer.id}"]`);
  await expect(row).toContainText("paused: budget");
  await expect(row).toContainText("100.00%");

  const resume = row.getByRole("button", { name: "Resume" });
  await expect(async () => {
    await resume.click();
    await expect(row.locator(".row-error")).toContainText("over its monthly budget", { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  expect((await (await request.get(`/api/agents/${writer.id}`)).json()).status).toBe("paused");

  // Raising the budget resumes it at once (a budget pause lifts itself).
  await row.getByLabel("Monthly budget of writer in dollars").fill("100");
  await row.getByRole("button", { name: "Set budget" }).click();
  await expect(row).toContainText("active");
  await expect(row).toContainText("50.00%");
  expect((await (await request.get(`/api/agents/${writer.id}`)).json()).status).toBe("active");

  // Paused by hand, then resumed by hand.
  await row.getByRole("button", { name: "Pause" }).click();
  await expect(row).toContainText("paused: by hand");
  await row.getByRole("button", { name: "Resume" }).click();
  await expect(row.getByRole("button", { name: "Pause" })).toBeVisible();
  expect((await (await request.get(`/api/agents/${writer.id}`)).json()).status).toBe("active");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the budget form still works: a plain POST and a redirect", async ({ page, request }) => {
    const { company, writer } = await seed(request);
    await page.goto(`/companies/${company.id}/agents`);
    const row = page.locator(`[data-agent-id="${writer.id}"]`);
    await expect(row).toContainText("64.00%");
    await row.getByLabel("Monthly budget of writer in dollars").fill("64");
    await Promise.all([
      page.waitForURL(new RegExp(`/companies/${company.id}/agents`)),
      row.getByRole("button", { name: "Set budget" }).click(),
    ]);
    await expect(page.locator(`[data-agent-id="${writer.id}"]`)).toContainText("50.00%");
    expect((await (await request.get(`/api/agents/${writer.id}`)).json()).budgetMonthlyCents).toBe(6400);

    // A refusal comes back in the redirect and is shown next to the right row.
    await page.locator(`[data-agent-id="${writer.id}"]`).getByLabel("Monthly budget of writer in dollars").fill("-5");
    await page.locator(`[data-agent-id="${writer.id}"]`).getByRole("button", { name: "Set budget" }).click();
    await expect(page.locator(`[data-agent-id="${writer.id}"] .field-error`)).toBeVisible();
    expect((await (await request.get(`/api/agents/${writer.id}`)).json()).budgetMonthlyCents).toBe(6400);
  });
});

test("an event posted through the API appears on the open overview within 5 seconds", async ({ page, request }) => {
  const { company, reviewer } = await seed(request);
  await page.goto(`/companies/${company.id}`);
  await expect(page.getByTestId("tile-spend")).toHaveText("$123.45");
  await waitForChart(page, "chart-daily");
  await post(request, company.id, { agentId: reviewer.id, costCents: 1000 });
  await expect(page.getByTestId("tile-spend")).toHaveText("$133.45", { timeout: 5_000 });
  // The charts follow, updated in place.
  await expect
    .poll(() =>
      page.evaluate(() => {
        // @ts-ignore
        const opt = window.echarts.getInstanceByDom(document.getElementById("chart-agents")).getOption();
        return opt.series[0].data;
      }),
    )
    .toEqual([32, 101.45]);
});

test("pages: projects, alerts, events with filters and CSV, settings", async ({ page, request }) => {
  const { company, writer, project } = await seed(request);
  await post(request, company.id, { agentId: writer.id, costCents: 1000 }); // writer at $42 of $50: 84%

  await page.goto(`/companies/${company.id}/projects`);
  await expect(page.getByTestId("project-row")).toHaveCount(2);
  await expect(page.getByTestId("projects-table")).toContainText("Unassigned");

  await page.goto(`/companies/${company.id}/alerts`);
  await expect(page.getByTestId("alert-row")).toHaveCount(1);
  await expect(page.getByTestId("alert-row")).toContainText("80% soft alert");
  await expect(page.getByTestId("alert-row")).toContainText("writer");

  await page.goto(`/companies/${company.id}/events?agentId=${writer.id}`);
  await expect(page.getByTestId("event-row")).toHaveCount(3);
  const href = await page.getByTestId("csv-link").getAttribute("href");
  expect(href).toContain(`agentId=${writer.id}`);
  const csv = await (await request.get(href!)).text();
  expect(csv.trim().split("\n")).toHaveLength(4); // header + 3 events
  await page.goto(`/companies/${company.id}/events?projectId=${project.id}`);
  await expect(page.getByTestId("event-row")).toHaveCount(2);

  await page.goto(`/companies/${company.id}/settings`);
  await expect(async () => {
    await page.getByLabel("Monthly budget (dollars, empty for none)").fill("150");
    await page.getByRole("button", { name: "Save" }).click();
    await expect
      .poll(async () => (await (await request.get(`/api/companies/${company.id}`)).json()).budgetMonthlyCents, { timeout: 2_000 })
      .toBe(15000);
  }).toPass({ timeout: 20_000 });
  await page.goto(`/companies/${company.id}`);
  await expect(page.getByTestId("tile-status")).toHaveText("Warning: 80% used"); // $133.45 of $150
});
