-- Leaner event indexes: every index on cost_events is written on every ingest, and an
-- index led by agent_id is written in a thousand different places by a batch of events
-- from a thousand agents. Listing one agent's events walks the company's time index
-- instead (newest first, paged); the key and project indexes only hold rows that have one.
DROP INDEX cost_events_agent_time;
DROP INDEX cost_events_project_time;
DROP INDEX cost_events_key;
CREATE UNIQUE INDEX cost_events_key ON cost_events (company_id, event_key) WHERE event_key IS NOT NULL;
CREATE INDEX cost_events_project_time ON cost_events (project_id, occurred_at) WHERE project_id IS NOT NULL;
