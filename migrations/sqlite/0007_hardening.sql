-- Idempotency keys belong to the agent that sent them: the same key string from another
-- agent is another key, so one agent can never block another's events. Keys stored so far
-- were unique per company, hence also per agent: every one keeps working.
DROP INDEX cost_events_key;
CREATE UNIQUE INDEX cost_events_agent_key ON cost_events (agent_id, event_key) WHERE event_key IS NOT NULL;

-- Written and deleted by the readiness check after write failures, to see whether the
-- database can take writes again (a full disk freed). Always empty.
CREATE TABLE write_probe (
    id  BIGINT PRIMARY KEY NOT NULL,
    pad TEXT NOT NULL
);
