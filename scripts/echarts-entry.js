// The parts of ECharts the dashboard draws with, bundled by scripts/vendor-echarts.sh into
// public/echarts.min.js and exposed as the global `echarts` that charming calls. A chart or
// component not registered here draws nothing: add it here when a chart starts using it.
import * as echarts from "echarts/core";
import { BarChart, LineChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, CanvasRenderer]);
window.echarts = echarts;
