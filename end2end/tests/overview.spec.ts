import { expect, test } from "@playwright/test";
import {
  DAYS_IN_MONTH,
  NOW,
  PREVIOUS_MONTH,
  chartOption,
  collectPageErrors,
  day,
  gotoHydrated,
  points,
  postEvent,
  seed,
  watchCalls,
} from "./helpers";

test("the overview shows the right totals and draws all four charts", async ({ page, request }, testInfo) => {
  const { company } = await seed(request);
  const errors = collectPageErrors(page);
  await gotoHydrated(page, `/companies/${company.id}`);

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
    expect((await chartOption(page, id)).series.length, id).toBe(series);
    const canvas = page.locator(`#${id} canvas`).first();
    await expect(canvas).toBeVisible();
    const box = await canvas.boundingBox();
    expect(box && box.width > 100 && box.height > 100, `${id} canvas has a size`).toBeTruthy();
  }
  // One bar per agent, the spend in dollars, the biggest spender on top; budget beside.
  const agents = await chartOption(page, "chart-agents");
  expect(agents.yAxis[0].data).toEqual(["writer", "reviewer"]);
  expect(points(agents.series[0].data)).toEqual([32, 91.45]);
  expect(points(agents.series[1].data)).toEqual([50, null]);
  // Tooltips read as money: the server's option names the format, the page's script has it.
  const money = await page.evaluate(() => {
    // @ts-ignore echarts is a global from /echarts.min.js
    const option = window.echarts.getInstanceByDom(document.getElementById("chart-agents")).getOption();
    return [option.tooltip[0].valueFormatter(1234.5), option.tooltip[0].valueFormatter(null)];
  });
  expect(money).toEqual(["$1,234.50", ""]);

  await page.screenshot({ path: testInfo.outputPath("overview.png"), fullPage: true });
  expect(errors, errors.join("\n")).toEqual([]);
});

test("the cumulative chart has the 80% and 100% lines and a projection to month end", async ({ page, request }) => {
  const { company, reviewer } = await seed(request); // $123.45 today, of a $1,000 budget
  const today = NOW.getUTCDate();
  // $10 on each of the 7 full days before today: the forecast's daily rate is their mean.
  for (let d = today - 7; d < today; d++) {
    await postEvent(request, company.id, { agentId: reviewer.id, costCents: 1000, occurredAt: `${day(d)}T10:00:00Z` });
  }
  const summary = await (await request.get(`/api/companies/${company.id}/costs/summary`)).json();
  expect(summary.forecast.dailyRateCents).toBe(1000);
  await gotoHydrated(page, `/companies/${company.id}`);
  const daily = await chartOption(page, "chart-daily");
  expect(daily.xAxis[0].data).toHaveLength(DAYS_IN_MONTH);

  // Spend so far: nothing before the week, $10 a day through it, $193.45 from today;
  // nothing drawn after today.
  const spend = points(daily.series[0].data);
  expect(spend).toEqual(
    Array.from({ length: DAYS_IN_MONTH }, (_, i) => {
      const d = i + 1;
      if (d < today - 7) return 0;
      if (d < today) return (d - (today - 8)) * 10;
      return d === today ? 193.45 : null;
    }),
  );
  // The projection is the API's forecast: from today's total at the week's mean ($10 a
  // day) to the month's end, ending at the projected month-end spend.
  const projection = points(daily.series[1].data);
  expect(projection).toEqual(
    Array.from({ length: DAYS_IN_MONTH }, (_, i) => (i < today - 1 ? null : (19345 + 1000 * (i + 1 - today)) / 100)),
  );
  expect(projection[DAYS_IN_MONTH - 1]! * 100).toBeCloseTo(summary.forecast.projectedMonthEndCents, 6);

  // The 80% line rides on the spend series, the 100% line on the projection, both flat
  // across the whole month.
  const line = (series: { markLine: { data: { coord: [string, number] }[][] } }) => {
    const [[start, end]] = series.markLine.data;
    return { from: start.coord[0], to: end.coord[0], at: [start.coord[1], end.coord[1]] };
  };
  const last = String(DAYS_IN_MONTH);
  expect(line(daily.series[0])).toEqual({ from: "01", to: last, at: [800, 800] });
  expect(line(daily.series[1])).toEqual({ from: "01", to: last, at: [1000, 1000] });
  expect(daily.series[0].markLine.label.formatter).toBe("80%");
  expect(daily.series[1].markLine.label.formatter).toBe("Budget");
});

test("an event posted through the API appears on the open overview without a reload", async ({ page, request }) => {
  const { company, reviewer } = await seed(request);
  await gotoHydrated(page, `/companies/${company.id}`);
  await expect(page.getByTestId("tile-spend")).toHaveText("$123.45");
  await chartOption(page, "chart-agents");
  const loads = watchCalls(page, "overview");
  await postEvent(request, company.id, { agentId: reviewer.id, costCents: 1000 });
  await expect(page.getByTestId("tile-spend")).toHaveText("$133.45");
  // The charts follow, updated in place; the page was not loaded again.
  await expect
    .poll(async () => points((await chartOption(page, "chart-agents")).series[0].data))
    .toEqual([32, 101.45]);
  expect(loads.posts).toBe(0);
  expect(loads.fetches).toBeGreaterThan(0);
});

test("the auto-refresh keeps the month picked", async ({ page, request }) => {
  const { company, writer } = await seed(request); // $123.45 this month
  await postEvent(request, company.id, {
    agentId: writer.id,
    costCents: 500,
    occurredAt: `${PREVIOUS_MONTH}-10T10:00:00Z`,
  });
  await gotoHydrated(page, `/companies/${company.id}?month=${PREVIOUS_MONTH}`);
  await expect(page.getByTestId("tile-spend")).toHaveText("$5.00");
  const loads = watchCalls(page, "overview");

  // New spend in both months: a refresh of the month picked shows $7.00; one that lost
  // the month would show this month's $223.45 instead.
  await postEvent(request, company.id, { agentId: writer.id, costCents: 10000 });
  await postEvent(request, company.id, {
    agentId: writer.id,
    costCents: 200,
    occurredAt: `${PREVIOUS_MONTH}-11T10:00:00Z`,
  });
  await expect(page.getByTestId("tile-spend")).toHaveText("$7.00");
  expect(loads).toEqual({ fetches: expect.any(Number), posts: 0 });
  await expect(page.locator("#month")).toHaveValue(PREVIOUS_MONTH);
  expect(new URL(page.url()).searchParams.get("month")).toBe(PREVIOUS_MONTH);
  // The x axis is still the picked month's days.
  const days = new Date(Date.UTC(Number(PREVIOUS_MONTH.slice(0, 4)), Number(PREVIOUS_MONTH.slice(5)), 0)).getUTCDate();
  expect((await chartOption(page, "chart-daily")).xAxis[0].data).toHaveLength(days);
});
