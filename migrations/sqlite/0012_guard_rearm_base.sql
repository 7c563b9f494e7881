-- A manager's resume re-arms the runaway guard from that instant. The guard counts spend in
-- one-minute buckets, so the spend already in the resume's own minute is kept here (micro-
-- cents) and left out of the count: otherwise the next event in that minute would pause the
-- scope again at once.
ALTER TABLE companies ADD COLUMN rate_armed_base_micros BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN rate_armed_base_micros BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN rate_armed_base_micros BIGINT NOT NULL DEFAULT 0;
