import { expect, test } from "@playwright/test";
import { MONTH, PREVIOUS_MONTH, chartOption, createAgent, day, gotoHydrated, points, postEvent, seed } from "./helpers";

/** `YYYY-MM` as the chart labels it: `Nov 26`. */
function label(month: string): string {
  const [year, m] = month.split("-").map(Number);
  const name = new Date(Date.UTC(year, m - 1, 1)).toLocaleString("en-US", { month: "short", timeZone: "UTC" });
  return `${name} ${String(year).slice(2)}`;
}

type Series = { name: string; type: string; stack?: string; data: unknown[]; itemStyle?: { color: string } };

test("the overview's last 12 months: stacked per agent or per project, with the budget line", async ({ page, request }) => {
  const { company, writer } = await seed(request); // this month: writer $32, reviewer $91.45; Launch $53.45
  await postEvent(request, company.id, { agentId: writer.id, costCents: 700, occurredAt: `${day(10, PREVIOUS_MONTH)}T08:00:00Z` });

  const api = await (await request.get(`/api/companies/${company.id}/costs/monthly`)).json();
  expect(api.months).toHaveLength(12);
  expect(api.months[11]).toBe(MONTH);
  expect(api.months[10]).toBe(PREVIOUS_MONTH);

  await gotoHydrated(page, `/companies/${company.id}`);
  const option = await chartOption(page, "chart-history");
  expect(option.xAxis[0].data).toEqual(api.months.map(label));
  const series = option.series as Series[];
  const bands = series.filter((s) => s.type === "bar");
  expect(bands.map((s) => s.name)).toEqual(["reviewer", "writer"]);
  expect(bands.every((s) => s.stack === "spend")).toBe(true);
  const reviewer = points(bands[0].data);
  const writerBand = points(bands[1].data);
  expect(reviewer.slice(10)).toEqual([0, 91.45]);
  expect(writerBand.slice(10)).toEqual([7, 32]);
  expect(reviewer.slice(0, 10).every((v) => v === 0)).toBe(true);
  // The figures are the API's, month by month.
  for (const [i, s] of api.series.entries()) {
    expect(points(bands[i].data)).toEqual(s.costCents.map((c: number) => c / 100));
  }
  expect(bands[0].itemStyle?.color).not.toEqual(bands[1].itemStyle?.color);
  const budget = series.find((s) => s.name === "Budget");
  expect(budget && points(budget.data)).toEqual(Array(12).fill(1000));

  // The toggle stacks per project; the project keeps the donut's color.
  const projects = page.getByRole("button", { name: "Projects" });
  await projects.click();
  await expect(projects).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByRole("button", { name: "Agents" })).toHaveAttribute("aria-pressed", "false");
  await expect
    .poll(async () => ((await chartOption(page, "chart-history")).series as Series[]).map((s) => s.name))
    .toEqual(["Unassigned", "Launch", "Budget"]);
  const byProject = (await chartOption(page, "chart-history")).series as Series[];
  expect(points(byProject[0].data).slice(10)).toEqual([7, 70]);
  expect(points(byProject[1].data).slice(10)).toEqual([0, 53.45]);
  const donut = (await chartOption(page, "chart-projects")).series[0].data as {
    name: string;
    itemStyle: { color: string };
  }[];
  const slice = (name: string) => donut.find((d) => d.name === name)?.itemStyle.color;
  expect(slice("Launch")).toBe(byProject[1].itemStyle?.color);
  expect(slice("Unassigned")).toBe(byProject[0].itemStyle?.color);
  expect(slice("Launch")).not.toBe(slice("Unassigned"));
});

test("an agent's page shows its own 12 months against its own budget", async ({ page, request }) => {
  const { company, writer } = await seed(request);
  await postEvent(request, company.id, { agentId: writer.id, costCents: 700, occurredAt: `${day(12, PREVIOUS_MONTH)}T08:00:00Z` });
  await gotoHydrated(page, `/companies/${company.id}/agents/${writer.id}`);
  const option = await chartOption(page, "chart-history");
  const series = option.series as Series[];
  expect(series.map((s) => s.name)).toEqual(["writer", "Budget"]);
  expect(points(series[0].data).slice(10)).toEqual([7, 32]);
  expect(points(series[1].data)).toEqual(Array(12).fill(50));
});

test("the history follows the range: twelve months ending with the range's last", async ({ page, request }) => {
  const { company, writer } = await seed(request); // this month: writer $32, reviewer $91.45
  await postEvent(request, company.id, { agentId: writer.id, costCents: 700, occurredAt: `${day(10, PREVIOUS_MONTH)}T08:00:00Z` });
  const api = await (await request.get(`/api/companies/${company.id}/costs/monthly?to=${PREVIOUS_MONTH}`)).json();
  expect(api.months).toHaveLength(12);
  expect(api.months[11]).toBe(PREVIOUS_MONTH);
  const title = (months: string[]) => {
    const long = (m: string) => new Date(`${m}-01T00:00:00Z`).toLocaleString("en-US", { month: "short", year: "numeric", timeZone: "UTC" });
    return `Spend per month, ${long(months[0])} – ${long(months[months.length - 1])}`;
  };

  await gotoHydrated(page, `/companies/${company.id}?month=${PREVIOUS_MONTH}`);
  await expect(page.getByTestId("history-title")).toHaveText(title(api.months));
  const option = await chartOption(page, "chart-history");
  expect(option.xAxis[0].data).toEqual(api.months.map(label));
  const bands = (option.series as Series[]).filter((s) => s.type === "bar");
  expect(bands.map((s) => s.name)).toEqual(["writer"]);
  expect(points(bands[0].data)).toEqual([...Array(11).fill(0), 7]);

  // Back to this month: the twelve months to this one.
  await page.getByRole("link", { name: "This month" }).click();
  await page.waitForURL((url) => url.search === "");
  const now = await (await request.get(`/api/companies/${company.id}/costs/monthly`)).json();
  await expect(page.getByTestId("history-title")).toHaveText(title(now.months));
  await expect.poll(async () => (await chartOption(page, "chart-history")).xAxis[0].data.at(-1)).toBe(label(MONTH));

  // An agent's page follows it too.
  await gotoHydrated(page, `/companies/${company.id}/agents/${writer.id}?month=${PREVIOUS_MONTH}`);
  await expect(page.getByTestId("history-title")).toHaveText(title(api.months));
  const own = (await chartOption(page, "chart-history")).series as Series[];
  expect(points(own[0].data)).toEqual([...Array(11).fill(0), 7]);
});

test("stacking per project after three agents leaves no agent's band drawn", async ({ page, request }) => {
  const { company } = await seed(request); // writer, reviewer; projects: Launch and Unassigned
  const scout = await createAgent(request, company.id, "scout");
  await postEvent(request, company.id, { agentId: scout.id, costCents: 100 });
  await gotoHydrated(page, `/companies/${company.id}`);
  const names = async () => ((await chartOption(page, "chart-history")).series as Series[]).map((s) => s.name);
  expect(await names()).toEqual(["reviewer", "writer", "scout", "Budget"]);
  await page.getByRole("button", { name: "Projects" }).click();
  await expect.poll(names).toEqual(["Unassigned", "Launch", "Budget"]);
  await page.getByRole("button", { name: "Agents" }).click();
  await expect.poll(names).toEqual(["reviewer", "writer", "scout", "Budget"]);
});
