//! Reads: spend per month over a span of whole months (`costs/monthly`), for the history
//! charts. Answered from the monthly rollups alone, a few rows per month whatever the event
//! count, so it stays exact for months whose raw events the retention removed.

use std::collections::HashMap;

use super::Service;
use crate::{
    domain::{
        history::{HistoryGroup, MonthSpan},
        money::MicroCents,
        scope::ScopeType,
        time::Month,
    },
    model::{MonthlyCosts, MonthlySeries},
    server::{
        error::{AppError, AppResult},
        store::{
            Conn, entities,
            reports::{self, Group, Member, MonthRow},
        },
    },
};

/// `from` and `to` (`YYYY-MM`, inclusive) and `groupBy` as the request gives them.
#[derive(Debug, Clone, Default)]
pub struct MonthlyQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub group_by: Option<String>,
}

impl Service {
    /// A company's spend per month of the span, one series per agent, project or model.
    pub async fn costs_monthly(
        &self,
        company_id: &str,
        q: &MonthlyQuery,
    ) -> AppResult<MonthlyCosts> {
        Ok(self.monthly_with_members(company_id, q).await?.0)
    }

    /// [`Service::costs_monthly`], with the group it was asked for and the ids of every
    /// agent or project of the company (none for models), whether or not it spent.
    pub(super) async fn monthly_with_members(
        &self,
        company_id: &str,
        q: &MonthlyQuery,
    ) -> AppResult<(MonthlyCosts, HistoryGroup, Vec<String>)> {
        let span = MonthSpan::resolve(q.from.as_deref(), q.to.as_deref(), self.now())?;
        let group = HistoryGroup::parse(q.group_by.as_deref())?;
        let now = Month::of(self.now());
        let mut conn = self.db.read_conn().await?;
        let company = entities::get(&mut conn, ScopeType::Company, company_id, now)
            .await?
            .ok_or_else(|| AppError::NotFound("company not found".into()))?;
        let range = (span.first(), span.last());
        let names = series_names(&mut conn, company_id, group).await?;
        let store_group = match group {
            HistoryGroup::Agent => Group::Agent,
            HistoryGroup::Project => Group::Project,
            HistoryGroup::Model => Group::Model,
        };
        let rows = reports::by_month(&mut conn, company_id, range, store_group, None).await?;
        let totals = reports::by_month(&mut conn, company_id, range, Group::Total, None).await?;
        let costs = assemble(
            span,
            rows,
            &totals,
            |row| match group {
                HistoryGroup::Model => (
                    format!("{}/{}", row.k1, row.k2),
                    format!("{} ({})", row.k2, row.k1),
                ),
                _ => {
                    let name = names.get(&row.k1).cloned().unwrap_or_else(|| {
                        if row.k1.is_empty() {
                            "Unassigned".to_owned()
                        } else {
                            row.k1.clone()
                        }
                    });
                    (row.k1.clone(), name)
                }
            },
            company.budget.get(),
        );
        Ok((costs, group, names.into_keys().collect()))
    }

    /// The months `from..=to` (as `costs/monthly` reads them: the last twelve by default) of
    /// one agent or project of company `company_id` (a 404 when it is not one of that
    /// company's): one series, its own, and its own budget.
    pub async fn member_monthly(
        &self,
        company_id: &str,
        kind: ScopeType,
        id: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> AppResult<MonthlyCosts> {
        let member_kind = match kind {
            ScopeType::Agent => Member::Agent,
            ScopeType::Project => Member::Project,
            ScopeType::Company => return Err(AppError::NotFound("company not found".into())),
        };
        let span = MonthSpan::resolve(from, to, self.now())?;
        let now = Month::of(self.now());
        let mut conn = self.db.read_conn().await?;
        let member = entities::get(&mut conn, kind, id, now)
            .await?
            .filter(|m| m.company_id == company_id)
            .ok_or_else(|| AppError::NotFound(format!("{kind} not found")))?;
        let rows = reports::by_month(
            &mut conn,
            company_id,
            (span.first(), span.last()),
            Group::Total,
            Some((member_kind, id)),
        )
        .await?;
        let key = member.id.clone();
        let name = member.name.clone();
        Ok(assemble(
            span,
            rows.clone(),
            &rows,
            move |_| (key.clone(), name.clone()),
            member.budget.get(),
        ))
    }
}

/// Agent or project names by id; the model group names itself.
async fn series_names(
    conn: &mut Conn,
    company_id: &str,
    group: HistoryGroup,
) -> AppResult<HashMap<String, String>> {
    let kind = match group {
        HistoryGroup::Agent => ScopeType::Agent,
        HistoryGroup::Project => ScopeType::Project,
        HistoryGroup::Model => return Ok(HashMap::new()),
    };
    Ok(entities::names(conn, kind, company_id)
        .await?
        .into_iter()
        .collect())
}

/// The report from the rollup rows: a slot per month of the span in every list, a series
/// per key (named by `name_of`) biggest total first, then by name.
fn assemble(
    span: MonthSpan,
    rows: Vec<MonthRow>,
    totals: &[MonthRow],
    name_of: impl Fn(&MonthRow) -> (String, String),
    budget_cents: i64,
) -> MonthlyCosts {
    let months = span.months();
    let slot: HashMap<i64, usize> = months
        .iter()
        .enumerate()
        .map(|(i, m)| (m.key(), i))
        .collect();
    let cents = |micros: i64| MicroCents::new(micros).to_cents().get();
    let mut series: Vec<(i64, MonthlySeries)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for row in rows {
        let Some(&at) = slot.get(&row.month) else {
            continue;
        };
        let (key, name) = name_of(&row);
        let i = *index.entry(key.clone()).or_insert_with(|| {
            series.push((
                0,
                MonthlySeries {
                    key,
                    name,
                    cost_cents: vec![0; months.len()],
                },
            ));
            series.len() - 1
        });
        let (total, s) = &mut series[i];
        *total = total.saturating_add(row.cost_micros);
        s.cost_cents[at] = cents(row.cost_micros);
    }
    series.sort_by(|(a_total, a), (b_total, b)| {
        b_total
            .cmp(a_total)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.key.cmp(&b.key))
    });
    let mut total_cents = vec![0; months.len()];
    for row in totals {
        if let Some(&at) = slot.get(&row.month) {
            total_cents[at] = cents(row.cost_micros);
        }
    }
    MonthlyCosts {
        months: months.iter().map(ToString::to_string).collect(),
        series: series.into_iter().map(|(_, s)| s).collect(),
        total_cents,
        budget_cents: vec![budget_cents; months.len()],
    }
}
