//! Who may do what: the one place these rules live. REST handlers and server functions call
//! [`authorize`] before they call the service.
//!
//! The board (and anyone in `local_trusted` mode) may do everything. An agent key may post
//! cost events for its own agent, read its own agent, and read its own company's reports
//! (summary, by-agent, by-project, by-model, daily, budget alerts, the event list, active
//! budget holds), and ask budget status and create, settle and release budget holds for its
//! own agent; ask for more budget for its own agent and read its own agent's requests.
//! Resolving incidents and deciding requests is the board's. Anything else is a 403.
//!
//! 403 or 404? For an agent key the answer depends only on the ids in the request and the
//! key's own agent and company, decided before anything is looked up: a route about any
//! other company, agent or project is a 403 with the same sentence whether that thing
//! exists or not, so a key learns nothing about what lies outside its company. A 404 is
//! only ever answered to the board (or for the key's own company, which it knows exists).
//! A hold is named by its id alone: the hold is looked up first, and a key gets the same 403
//! for a hold that does not exist as for another agent's.

use super::Actor;
use crate::server::error::{AppError, AppResult};

/// Something a request wants to do, naming the ids it touches. Board-only actions name
/// their ids too, so every call site says what it touches, though no rule reads them yet.
#[derive(Debug, Clone, Copy)]
#[allow(dead_code)]
pub enum Action<'a> {
    ListCompanies,
    CreateCompany,
    ReadCompany(&'a str),
    /// Rename, budget, status; and create agents or projects in it.
    ChangeCompany(&'a str),
    ListAgents(&'a str),
    ListProjects(&'a str),
    ReadAgent(&'a str),
    /// Rename, budget, status.
    ChangeAgent(&'a str),
    ReadProject(&'a str),
    ChangeProject(&'a str),
    /// Reports, budget alerts and the event list of a company.
    ReadReports(&'a str),
    /// Post cost events in `company` at all (the batch route, before it reads its events).
    ReportCosts(&'a str),
    /// Post a cost event in `company` for `agent`.
    ReportCost {
        company: &'a str,
        agent: &'a str,
    },
    /// Ask whether `agent` may run, or reserve money for it (budget status, budget holds).
    HoldFor {
        company: &'a str,
        agent: &'a str,
    },
    /// Release a budget hold: of `(company, agent)`, or `None` when no such hold exists
    /// (an agent key then gets the same 403 as for another agent's hold).
    ChangeHold(Option<(&'a str, &'a str)>),
    /// Create, list or revoke the keys of an agent.
    ManageAgentKeys(&'a str),
    /// Read or change the price book.
    ManagePrices,
    /// Reprice the unpriced events of a company.
    RepriceCompany(&'a str),
    /// Add or list the webhook endpoints of a company.
    ManageWebhooks(&'a str),
    /// Change, delete, test or read the deliveries of one webhook endpoint.
    ManageWebhook(&'a str),
    /// List the incidents or the override requests of a company.
    ReadIncidents(&'a str),
    /// Resolve one incident.
    ResolveIncident(&'a str),
    /// Ask for more room for `agent` (an override request).
    RequestBudget(&'a str),
    /// Read an override request: of `(company, agent)`, or `None` when no such request
    /// exists (an agent key then gets the same 403 as for another agent's).
    ReadRequest(Option<(&'a str, &'a str)>),
    /// Approve or deny one override request.
    DecideRequest(&'a str),
    /// Read the audit trail of a company.
    ReadActivity(&'a str),
    /// Scrape `/metrics` on the main listener: counts of every company.
    ReadMetrics,
}

/// `Ok` when `actor` may do `action`, else the 403 to answer.
pub fn authorize(actor: &Actor, action: Action<'_>) -> AppResult<()> {
    let (own_agent, own_company) = match actor {
        Actor::Local | Actor::Board(_) => return Ok(()),
        Actor::Agent {
            agent_id,
            company_id,
            ..
        } => (agent_id.as_str(), company_id.as_str()),
    };
    let allowed = match action {
        Action::ReadReports(company) | Action::ReportCosts(company) => company == own_company,
        Action::ReadAgent(agent) => agent == own_agent,
        Action::HoldFor { company, agent } | Action::ChangeHold(Some((company, agent))) => {
            company == own_company && agent == own_agent
        }
        Action::ChangeHold(None) | Action::ReadRequest(None) => false,
        Action::ReadRequest(Some((company, agent))) => company == own_company && agent == own_agent,
        Action::RequestBudget(agent) => agent == own_agent,
        Action::ReportCost { company, agent } => {
            if company == own_company && agent != own_agent {
                return Err(AppError::Forbidden(
                    "an agent can only report its own costs".into(),
                ));
            }
            company == own_company
        }
        Action::ListCompanies
        | Action::CreateCompany
        | Action::ReadCompany(_)
        | Action::ChangeCompany(_)
        | Action::ListAgents(_)
        | Action::ListProjects(_)
        | Action::ChangeAgent(_)
        | Action::ReadProject(_)
        | Action::ChangeProject(_)
        | Action::ManageAgentKeys(_)
        | Action::ManagePrices
        | Action::RepriceCompany(_)
        | Action::ManageWebhooks(_)
        | Action::ManageWebhook(_)
        | Action::ReadIncidents(_)
        | Action::ResolveIncident(_)
        | Action::DecideRequest(_)
        | Action::ReadActivity(_)
        | Action::ReadMetrics => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::auth::BoardCredential;

    fn agent(agent: &str, company: &str) -> Actor {
        Actor::Agent {
            key_id: "k".into(),
            agent_id: agent.into(),
            company_id: company.into(),
        }
    }

    fn status(r: AppResult<()>) -> u16 {
        r.map_or_else(|e| e.status_code().as_u16(), |()| 200)
    }

    #[test]
    fn the_board_and_local_mode_may_do_everything() {
        let board = Actor::Board(BoardCredential::Token {
            token_id: "t".into(),
            label: "ci".into(),
        });
        for actor in [Actor::Local, board] {
            assert_eq!(status(authorize(&actor, Action::CreateCompany)), 200);
            assert_eq!(status(authorize(&actor, Action::ChangeAgent("x"))), 200);
            assert_eq!(status(authorize(&actor, Action::ManageAgentKeys("x"))), 200);
        }
    }

    #[test]
    fn an_agent_reports_and_reads_only_its_own() {
        let a = agent("a1", "c1");
        let ok = [
            Action::ReadReports("c1"),
            Action::ReadAgent("a1"),
            Action::RequestBudget("a1"),
            Action::ReadRequest(Some(("c1", "a1"))),
            Action::ReportCost {
                company: "c1",
                agent: "a1",
            },
        ];
        for action in ok {
            assert_eq!(status(authorize(&a, action)), 200, "{action:?}");
        }
        let refused = [
            Action::ReadReports("c2"),
            Action::ReadAgent("a2"),
            Action::ReportCost {
                company: "c2",
                agent: "a1",
            },
            Action::ListCompanies,
            Action::CreateCompany,
            Action::ReadCompany("c1"),
            Action::ChangeCompany("c1"),
            Action::ListAgents("c1"),
            Action::ListProjects("c1"),
            Action::ChangeAgent("a1"),
            Action::ReadProject("p1"),
            Action::ChangeProject("p1"),
            Action::ManageAgentKeys("a1"),
            Action::ManageWebhooks("c1"),
            Action::ManageWebhook("w1"),
            Action::ReadIncidents("c1"),
            Action::ResolveIncident("i1"),
            Action::DecideRequest("r1"),
            Action::ReadRequest(None),
            Action::ReadRequest(Some(("c1", "a2"))),
            Action::RequestBudget("a2"),
            Action::ReadActivity("c1"),
        ];
        for action in refused {
            let err = authorize(&a, action).expect_err("refused");
            assert_eq!(err.status_code().as_u16(), 403, "{action:?}");
            assert_eq!(err.to_string(), AppError::forbidden().to_string());
        }
        let other_agent = authorize(
            &a,
            Action::ReportCost {
                company: "c1",
                agent: "a2",
            },
        )
        .expect_err("refused");
        assert_eq!(
            other_agent.to_string(),
            "an agent can only report its own costs"
        );
    }
}
