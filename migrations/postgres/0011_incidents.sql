-- Incidents, month extensions and override requests. Times are epoch milliseconds, money
-- whole cents (observed spend in micro-cents, as on alerts).

-- One incident per alert: the alert stays the immutable fact, the incident is what a
-- manager acts on. Unique per scope, kind and window like the alerts, so a race opens one.
CREATE TABLE budget_incidents (
    id              TEXT PRIMARY KEY NOT NULL,
    company_id      TEXT NOT NULL REFERENCES companies (id),
    scope_type      TEXT NOT NULL,
    scope_id        TEXT NOT NULL,
    kind            TEXT NOT NULL,
    window_start    BIGINT NOT NULL,
    status          TEXT NOT NULL,
    budget_cents    BIGINT NOT NULL,
    observed_micros BIGINT NOT NULL,
    opened_at       BIGINT NOT NULL,
    resolved_at     BIGINT,
    resolution      TEXT,
    decision_note   TEXT,
    -- The deciding actor as JSON ({"type","id","label"}).
    decided_by      TEXT
);
CREATE UNIQUE INDEX budget_incidents_once
    ON budget_incidents (scope_type, scope_id, kind, window_start);
CREATE INDEX budget_incidents_company ON budget_incidents (company_id, status, opened_at);

-- Extra room for one scope in one month only: the effective budget of that month is the
-- budget plus this; the next month has no row, so the plain budget applies again.
CREATE TABLE budget_extensions (
    scope_type   TEXT NOT NULL,
    scope_id     TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    company_id   TEXT NOT NULL REFERENCES companies (id),
    extra_cents  BIGINT NOT NULL,
    PRIMARY KEY (scope_type, scope_id, window_start)
);

-- An agent asking the board for more room; at most one pending per agent.
CREATE TABLE budget_requests (
    id            TEXT PRIMARY KEY NOT NULL,
    company_id    TEXT NOT NULL REFERENCES companies (id),
    agent_id      TEXT NOT NULL REFERENCES agents (id),
    amount_cents  BIGINT NOT NULL,
    reason        TEXT NOT NULL,
    status        TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    decided_at    BIGINT,
    decision_mode TEXT,
    decided_cents BIGINT,
    decision_note TEXT,
    decided_by    TEXT
);
CREATE UNIQUE INDEX budget_requests_one_pending ON budget_requests (agent_id)
    WHERE status = 'pending';
CREATE INDEX budget_requests_company ON budget_requests (company_id, status, created_at);

-- The audit trail: one row per change, written in the change's transaction. company_id is
-- NULL for what belongs to no company (the price book). before/after are JSON documents.
CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY NOT NULL,
    company_id   TEXT,
    at           BIGINT NOT NULL,
    actor_type   TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    actor_label  TEXT NOT NULL,
    action       TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    target_name  TEXT NOT NULL,
    before_state TEXT,
    after_state  TEXT
);
CREATE INDEX audit_log_company ON audit_log (company_id, at, id);
