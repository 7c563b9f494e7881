-- cost_events partitioned by month of occurred_at (epoch milliseconds, UTC): indexes the
-- size of a month, and a month past the retention dropped whole (store::partitions).
-- Unique keys must contain the partition key, so the primary key is (id, occurred_at) and
-- the idempotency index (agent_id, event_key, occurred_at); ingest looks a key up under
-- the company's row lock before it inserts, so a key still answers one event.
ALTER TABLE cost_events RENAME TO cost_events_unpartitioned;
ALTER INDEX cost_events_pkey RENAME TO cost_events_unpartitioned_pkey;
ALTER INDEX cost_events_agent_key RENAME TO cost_events_unpartitioned_agent_key;
ALTER INDEX cost_events_company_time RENAME TO cost_events_unpartitioned_company_time;
ALTER INDEX cost_events_project_time RENAME TO cost_events_unpartitioned_project_time;
ALTER INDEX cost_events_unpriced RENAME TO cost_events_unpartitioned_unpriced;

CREATE TABLE cost_events (
    id                  TEXT NOT NULL,
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
    fingerprint         TEXT,
    price_id            TEXT,
    cache_write_tokens  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
CREATE UNIQUE INDEX cost_events_agent_key ON cost_events (agent_id, event_key, occurred_at) WHERE event_key IS NOT NULL;
CREATE INDEX cost_events_company_time ON cost_events (company_id, occurred_at, id);
CREATE INDEX cost_events_project_time ON cost_events (project_id, occurred_at) WHERE project_id IS NOT NULL;
CREATE INDEX cost_events_unpriced ON cost_events (company_id, occurred_at, id) WHERE cost_source = 'unpriced';
CREATE TABLE cost_events_default PARTITION OF cost_events DEFAULT;

-- A partition per month from the oldest stored event to three months ahead; the server
-- keeps creating them ahead (store::partitions).
DO $$
DECLARE
    first_ms BIGINT := COALESCE((SELECT MIN(occurred_at) FROM cost_events_unpartitioned),
                                (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT);
    m DATE := date_trunc('month', to_timestamp(first_ms / 1000.0) AT TIME ZONE 'UTC')::DATE;
    last DATE := (date_trunc('month', now() AT TIME ZONE 'UTC') + INTERVAL '3 months')::DATE;
BEGIN
    WHILE m <= last LOOP
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF cost_events FOR VALUES FROM (%s) TO (%s)',
            'cost_events_' || to_char(m, 'YYYY_MM'),
            (EXTRACT(EPOCH FROM m::TIMESTAMP) * 1000)::BIGINT,
            (EXTRACT(EPOCH FROM (m + INTERVAL '1 month')::TIMESTAMP) * 1000)::BIGINT);
        m := (m + INTERVAL '1 month')::DATE;
    END LOOP;
END $$;

INSERT INTO cost_events SELECT id, company_id, agent_id, project_id, provider, model,
    input_tokens, cached_input_tokens, output_tokens, cost_micros, cost_source, occurred_at,
    created_at, event_key, fingerprint, price_id, cache_write_tokens
FROM cost_events_unpartitioned;
DROP TABLE cost_events_unpartitioned;
ALTER TABLE cost_events RENAME CONSTRAINT cost_events_company_id_fkey1 TO cost_events_company_id_fkey;
ALTER TABLE cost_events RENAME CONSTRAINT cost_events_agent_id_fkey1 TO cost_events_agent_id_fkey;
ALTER TABLE cost_events RENAME CONSTRAINT cost_events_project_id_fkey1 TO cost_events_project_id_fkey;
