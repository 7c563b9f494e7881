//! What the dashboard's pages are sent beyond the API's own types: a page's figures in the
//! shape it shows them, and its charts, built on the server as ECharts options.

use serde::{Deserialize, Serialize};

use super::{Company, CostSummary};

/// What a company's overview page is sent: the window's summary for the tiles, and the
/// charts built from its rows (the rows themselves stay on the server: the page shows them
/// only as charts, and the Agents and Projects pages have them as tables).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanyOverview {
    pub company: Company,
    pub summary: CostSummary,
    pub paused_agents: i64,
    pub agent_count: u32,
    pub charts: OverviewCharts,
}

/// An ECharts option as JSON text: built on the server, handed to ECharts as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChartOption(pub String);

/// The overview's four charts, each known by its placeholder's id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OverviewCharts {
    pub agents: ChartOption,
    pub projects: ChartOption,
    pub daily: ChartOption,
    pub models: ChartOption,
}

impl OverviewCharts {
    /// The chart drawn in placeholder `id` (`chart-agents`, ...).
    pub fn get(&self, id: &str) -> Option<&ChartOption> {
        match id {
            "chart-agents" => Some(&self.agents),
            "chart-projects" => Some(&self.projects),
            "chart-daily" => Some(&self.daily),
            "chart-models" => Some(&self.models),
            _ => None,
        }
    }
}

/// The history card: its title (the months it spans) and its chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryChart {
    pub title: String,
    pub chart: ChartOption,
}
