// The parts of ECharts the dashboard draws with, bundled by scripts/vendor-echarts.sh into
// public/echarts.min.js, and the one function the dashboard calls: `costlineChart`. A chart
// or component not registered here draws nothing: add it here when a chart starts using it.
import * as echarts from "echarts/core";
import { BarChart, LineChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, CanvasRenderer]);
window.echarts = echarts;

// The server's options are JSON; the tooltip's money format is named, not sent as code
// (src/server/charts/mod.rs, MONEY_FORMAT).
const MONEY_FORMAT = "costline:money";
const money = (v) =>
  v == null ? "" : "$" + Number(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

// What a merge cannot change in a drawn chart: its series by name, and which of them carry
// mark lines. ECharts merges a new option into the old one, which moves bars smoothly but
// never removes a series or a mark line: when this differs (the history stacked per project
// instead of per agent, the budget lines of a month but not of a week), the new option
// replaces the old one whole.
const shape = (option) => (option.series || []).map((s) => `${s.name}:${!!s.markLine}`).join("|");
const shapes = new WeakMap();

// Draws `json` (an ECharts option) into the element of id `id`: a new chart, or the one
// drawn there before, updated in place.
window.costlineChart = (id, json) => {
  const element = document.getElementById(id);
  if (!element) return;
  const option = JSON.parse(json);
  if (option.tooltip && option.tooltip.valueFormatter === MONEY_FORMAT) option.tooltip.valueFormatter = money;
  const drawn = echarts.getInstanceByDom(element);
  const chart = drawn || echarts.init(element);
  const now = shape(option);
  chart.setOption(option, { notMerge: !!drawn && shapes.get(chart) !== now });
  shapes.set(chart, now);
};
