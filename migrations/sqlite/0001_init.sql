-- Costline schema, SQLite dialect. Times are epoch milliseconds (UTC); money is integer:
-- budgets in cents, costs in micro-cents (1 cent = 1,000,000), so computed sub-cent prices
-- add up exactly. `month` is YYYYMM, `day` is days since 1970-01-01, both UTC.

CREATE TABLE companies (
    id                   TEXT PRIMARY KEY NOT NULL,
    name                 TEXT NOT NULL,
    status               TEXT NOT NULL,
    budget_monthly_cents BIGINT NOT NULL DEFAULT 0,
    pause_reason         TEXT,
    paused_at            BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);

CREATE TABLE agents (
    id                   TEXT PRIMARY KEY NOT NULL,
    company_id           TEXT NOT NULL REFERENCES companies (id),
    name                 TEXT NOT NULL,
    status               TEXT NOT NULL,
    budget_monthly_cents BIGINT NOT NULL DEFAULT 0,
    pause_reason         TEXT,
    paused_at            BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX agents_company ON agents (company_id, created_at);

CREATE TABLE projects (
    id                   TEXT PRIMARY KEY NOT NULL,
    company_id           TEXT NOT NULL REFERENCES companies (id),
    name                 TEXT NOT NULL,
    status               TEXT NOT NULL,
    budget_monthly_cents BIGINT NOT NULL DEFAULT 0,
    pause_reason         TEXT,
    paused_at            BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX projects_company ON projects (company_id, created_at);

CREATE TABLE cost_events (
    id                  TEXT PRIMARY KEY NOT NULL,
    company_id          TEXT NOT NULL REFERENCES companies (id),
    agent_id            TEXT NOT NULL REFERENCES agents (id),
    project_id          TEXT REFERENCES projects (id),
    provider            TEXT NOT NULL,
    model               TEXT NOT NULL,
    input_tokens        BIGINT NOT NULL,
    cached_input_tokens BIGINT NOT NULL,
    output_tokens       BIGINT NOT NULL,
    cost_micros         BIGINT NOT NULL,
    cost_source         TEXT NOT NULL,
    occurred_at         BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    event_key           TEXT,
    -- Hash of the request that created the event, to tell a retry from a reused key.
    fingerprint         TEXT
);
CREATE UNIQUE INDEX cost_events_key ON cost_events (company_id, event_key);
CREATE INDEX cost_events_company_time ON cost_events (company_id, occurred_at, id);
CREATE INDEX cost_events_agent_time ON cost_events (agent_id, occurred_at, id);
CREATE INDEX cost_events_project_time ON cost_events (project_id, occurred_at, id);

-- Monthly and daily rollups, updated in the transaction that stores each event.
CREATE TABLE rollup_company_month (
    company_id          TEXT NOT NULL,
    month               BIGINT NOT NULL,
    cost_micros         BIGINT NOT NULL,
    input_tokens        BIGINT NOT NULL,
    cached_input_tokens BIGINT NOT NULL,
    output_tokens       BIGINT NOT NULL,
    event_count         BIGINT NOT NULL,
    unpriced_count      BIGINT NOT NULL,
    PRIMARY KEY (company_id, month)
) WITHOUT ROWID;

CREATE TABLE rollup_agent_month (
    agent_id            TEXT NOT NULL,
    month               BIGINT NOT NULL,
    company_id          TEXT NOT NULL,
    cost_micros         BIGINT NOT NULL,
    input_tokens        BIGINT NOT NULL,
    cached_input_tokens BIGINT NOT NULL,
    output_tokens       BIGINT NOT NULL,
    event_count         BIGINT NOT NULL,
    unpriced_count      BIGINT NOT NULL,
    PRIMARY KEY (agent_id, month)
) WITHOUT ROWID;
CREATE INDEX rollup_agent_month_company ON rollup_agent_month (company_id, month);

-- project_id '' is spend reported without a project ("Unassigned").
CREATE TABLE rollup_project_month (
    company_id          TEXT NOT NULL,
    month               BIGINT NOT NULL,
    project_id          TEXT NOT NULL,
    cost_micros         BIGINT NOT NULL,
    input_tokens        BIGINT NOT NULL,
    cached_input_tokens BIGINT NOT NULL,
    output_tokens       BIGINT NOT NULL,
    event_count         BIGINT NOT NULL,
    unpriced_count      BIGINT NOT NULL,
    PRIMARY KEY (company_id, month, project_id)
) WITHOUT ROWID;

CREATE TABLE rollup_model_month (
    company_id          TEXT NOT NULL,
    month               BIGINT NOT NULL,
    provider            TEXT NOT NULL,
    model               TEXT NOT NULL,
    cost_micros         BIGINT NOT NULL,
    input_tokens        BIGINT NOT NULL,
    cached_input_tokens BIGINT NOT NULL,
    output_tokens       BIGINT NOT NULL,
    event_count         BIGINT NOT NULL,
    unpriced_count      BIGINT NOT NULL,
    PRIMARY KEY (company_id, month, provider, model)
) WITHOUT ROWID;

CREATE TABLE rollup_company_day (
    company_id          TEXT NOT NULL,
    day                 BIGINT NOT NULL,
    cost_micros         BIGINT NOT NULL,
    input_tokens        BIGINT NOT NULL,
    cached_input_tokens BIGINT NOT NULL,
    output_tokens       BIGINT NOT NULL,
    event_count         BIGINT NOT NULL,
    unpriced_count      BIGINT NOT NULL,
    PRIMARY KEY (company_id, day)
) WITHOUT ROWID;

CREATE TABLE budget_alerts (
    id             TEXT PRIMARY KEY NOT NULL,
    company_id     TEXT NOT NULL REFERENCES companies (id),
    scope_type     TEXT NOT NULL,
    scope_id       TEXT NOT NULL,
    threshold      TEXT NOT NULL,
    window_start   BIGINT NOT NULL,
    budget_cents   BIGINT NOT NULL,
    observed_micros BIGINT NOT NULL,
    created_at     BIGINT NOT NULL
);
-- Exactly one alert per scope, threshold and month, however many writers race.
CREATE UNIQUE INDEX budget_alerts_once ON budget_alerts (scope_type, scope_id, threshold, window_start);
CREATE INDEX budget_alerts_company ON budget_alerts (company_id, window_start, created_at);
