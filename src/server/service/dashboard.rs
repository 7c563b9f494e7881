//! The dashboard's pages as its server functions send them: a page's figures and its
//! charts, built from the same reads in one answer (`server::charts`). The REST API answers
//! the figures alone.

use super::{Service, monthly::MonthlyQuery, reports::WindowQuery};
use crate::{
    domain::{history::HistoryGroup, scope::ScopeType},
    model::{CompanyOverview, HistoryChart, MemberMonth},
    server::{
        charts::{
            history::history,
            overview::charts,
            palette::{self, Palette},
        },
        error::AppResult,
    },
};

impl Service {
    /// A company's overview page: the tiles' figures and the four charts. The rows behind
    /// the charts stay here; the Agents and Projects pages have them as tables.
    pub async fn overview_page(
        &self,
        company_id: &str,
        q: &WindowQuery,
    ) -> AppResult<CompanyOverview> {
        let o = self.overview(company_id, q).await?;
        Ok(CompanyOverview {
            charts: charts(&o),
            agent_count: u32::try_from(o.agents.len()).unwrap_or(u32::MAX),
            company: o.company,
            summary: o.summary,
            paused_agents: o.paused_agents,
        })
    }

    /// An agent's or project's page of one window, with its charts.
    pub async fn member_page(
        &self,
        company_id: &str,
        kind: ScopeType,
        id: &str,
        q: &WindowQuery,
    ) -> AppResult<MemberMonth> {
        let mut page = self.member_month(company_id, kind, id, q).await?;
        page.month.charts = Some(charts(&page.month));
        Ok(page)
    }

    /// The history card of a company: spend per month, one band per agent, project or
    /// model. An agent or project has its color of the page: its place among all of its
    /// company's agents or projects (for projects, "Unassigned" included, as in the donut),
    /// whether or not it spent in these months.
    pub async fn history_chart(
        &self,
        company_id: &str,
        q: &MonthlyQuery,
    ) -> AppResult<HistoryChart> {
        let (costs, group, members) = self.monthly_with_members(company_id, q).await?;
        let palette = match group {
            HistoryGroup::Agent => Palette::of(members),
            HistoryGroup::Project => palette::projects(members.into_iter().map(Some)),
            HistoryGroup::Model => Palette::of(costs.series.iter().map(|s| s.key.clone())),
        };
        Ok(history(&costs, &palette))
    }

    /// The history card of one agent or project: its own spend per month and its budget.
    pub async fn member_history_chart(
        &self,
        company_id: &str,
        kind: ScopeType,
        id: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> AppResult<HistoryChart> {
        let costs = self.member_monthly(company_id, kind, id, from, to).await?;
        Ok(history(&costs, &Palette::default()))
    }
}
