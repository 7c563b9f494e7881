-- The runaway guard: a limit on the trailing hour's spend per scope (0: off), and when
-- the guard was last armed (epoch ms; a manager's resume re-arms it). The forecast and the
-- guard read per-scope spend buckets kept in the ingest transaction, so neither scans
-- events: one row per scope and UTC day (the forecast's daily rate; project '' is spend
-- without a project), one per scope and minute (the guard; written only for scopes with a
-- guard, pruned after two hours by the periodic task).
ALTER TABLE companies ADD COLUMN max_hourly_cents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE companies ADD COLUMN rate_armed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN max_hourly_cents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN rate_armed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN max_hourly_cents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN rate_armed_at BIGINT NOT NULL DEFAULT 0;

CREATE TABLE spend_day (
    scope_type  TEXT NOT NULL,
    scope_id    TEXT NOT NULL,
    day         BIGINT NOT NULL,
    company_id  TEXT NOT NULL,
    cost_micros BIGINT NOT NULL,
    PRIMARY KEY (company_id, scope_type, scope_id, day)
);
-- The events stored so far, so forecasts are right from the first request.
INSERT INTO spend_day (scope_type, scope_id, day, company_id, cost_micros)
SELECT 'company', company_id, occurred_at / 86400000, company_id, SUM(cost_micros)
FROM cost_events GROUP BY company_id, occurred_at / 86400000;
INSERT INTO spend_day (scope_type, scope_id, day, company_id, cost_micros)
SELECT 'agent', agent_id, occurred_at / 86400000, company_id, SUM(cost_micros)
FROM cost_events GROUP BY company_id, agent_id, occurred_at / 86400000;
INSERT INTO spend_day (scope_type, scope_id, day, company_id, cost_micros)
SELECT 'project', COALESCE(project_id, ''), occurred_at / 86400000, company_id, SUM(cost_micros)
FROM cost_events GROUP BY company_id, COALESCE(project_id, ''), occurred_at / 86400000;

CREATE TABLE spend_minute (
    scope_type  TEXT NOT NULL,
    scope_id    TEXT NOT NULL,
    minute      BIGINT NOT NULL,
    company_id  TEXT NOT NULL,
    cost_micros BIGINT NOT NULL,
    PRIMARY KEY (company_id, scope_type, scope_id, minute)
);
CREATE INDEX spend_minute_age ON spend_minute (minute);
