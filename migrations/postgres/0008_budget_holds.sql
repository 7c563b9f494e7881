-- Budget holds: money an adapter reserves for a run before it starts. A hold counts against
-- its agent, project and company while status = 'active' and expires_at (epoch ms) is in
-- the future; an expired hold needs no job to stop counting. Amounts are whole cents.
CREATE TABLE budget_holds (
    id           TEXT PRIMARY KEY NOT NULL,
    company_id   TEXT NOT NULL REFERENCES companies (id),
    agent_id     TEXT NOT NULL REFERENCES agents (id),
    project_id   TEXT REFERENCES projects (id),
    amount_cents BIGINT NOT NULL,
    status       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    -- When it was settled or released, and the event that settled it.
    ended_at     BIGINT,
    event_id     TEXT,
    hold_key     TEXT,
    -- Hash of the request that created it, to tell a retry from a reused key.
    fingerprint  TEXT
);
-- The holds that may count: what budget-status and every grant sum, per company.
CREATE INDEX budget_holds_active ON budget_holds (company_id, expires_at) WHERE status = 'active';
CREATE INDEX budget_holds_agent_active ON budget_holds (agent_id, expires_at) WHERE status = 'active';
CREATE UNIQUE INDEX budget_holds_key ON budget_holds (agent_id, hold_key) WHERE hold_key IS NOT NULL;
