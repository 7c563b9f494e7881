-- The price book: what a model costs, so events reported without a cost are priced by the
-- server. Prices are integers in micro-cents (1 cent = 1,000,000) per million tokens, so a
-- list price like $0.075 per million tokens is exact. `model` is an exact model name, or a
-- prefix pattern ending in `*` (a family of dated releases, `claude-sonnet-4-*`); an exact
-- name wins over a pattern, a longer pattern over a shorter one. Each price holds from
-- `effective_from` (epoch ms, UTC) until a later price of the same provider and model, so
-- changing a price never rewrites the past.

CREATE TABLE model_prices (
    id                            TEXT PRIMARY KEY NOT NULL,
    provider                      TEXT NOT NULL,
    model                         TEXT NOT NULL,
    effective_from                BIGINT NOT NULL,
    input_micros_per_mtok         BIGINT NOT NULL,
    cached_input_micros_per_mtok  BIGINT NOT NULL,
    cache_write_micros_per_mtok   BIGINT NOT NULL,
    output_micros_per_mtok        BIGINT NOT NULL,
    source                        TEXT NOT NULL,
    created_at                    BIGINT NOT NULL
);
CREATE UNIQUE INDEX model_prices_key ON model_prices (provider, model, effective_from);

-- Which price computed an event, and the cache-write tokens that price charges for.
ALTER TABLE cost_events ADD COLUMN price_id TEXT;
ALTER TABLE cost_events ADD COLUMN cache_write_tokens BIGINT NOT NULL DEFAULT 0;

-- Tokens of events nothing priced, so reports can show what silently cost 0.
ALTER TABLE rollup_company_month ADD COLUMN unpriced_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rollup_agent_month ADD COLUMN unpriced_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rollup_project_month ADD COLUMN unpriced_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rollup_model_month ADD COLUMN unpriced_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rollup_company_day ADD COLUMN unpriced_tokens BIGINT NOT NULL DEFAULT 0;

-- Current list prices of the major models. Source: the vendors' public pricing pages
-- (anthropic.com/pricing, openai.com/api/pricing, ai.google.dev/gemini-api/docs/pricing),
-- as of 2025-09-01; standard tier, prompts up to 200k tokens. OpenAI and Google charge no
-- cache-write surcharge: their cache-write price is the input price.
INSERT INTO model_prices (id, provider, model, effective_from, input_micros_per_mtok,
    cached_input_micros_per_mtok, cache_write_micros_per_mtok, output_micros_per_mtok,
    source, created_at) VALUES
    ('seed-001', 'anthropic', 'claude-opus-4', 1747872000000, 1500000000, 150000000, 1875000000, 7500000000, 'anthropic list price, published pricing page, as of 2025-09-01', 0),
    ('seed-002', 'anthropic', 'claude-opus-4-*', 1747872000000, 1500000000, 150000000, 1875000000, 7500000000, 'anthropic list price, published pricing page, as of 2025-09-01', 0),
    ('seed-003', 'anthropic', 'claude-sonnet-4', 1747872000000, 300000000, 30000000, 375000000, 1500000000, 'anthropic list price, published pricing page, as of 2025-09-01', 0),
    ('seed-004', 'anthropic', 'claude-sonnet-4-*', 1747872000000, 300000000, 30000000, 375000000, 1500000000, 'anthropic list price, published pricing page, as of 2025-09-01', 0),
    ('seed-005', 'anthropic', 'claude-3-7-sonnet-*', 1740355200000, 300000000, 30000000, 375000000, 1500000000, 'anthropic list price, published pricing page, as of 2025-09-01', 0),
    ('seed-006', 'anthropic', 'claude-3-5-sonnet-*', 1718841600000, 300000000, 30000000, 375000000, 1500000000, 'anthropic list price, published pricing page, as of 2025-09-01', 0),
    ('seed-007', 'anthropic', 'claude-3-5-haiku-*', 1730678400000, 80000000, 8000000, 100000000, 400000000, 'anthropic list price, published pricing page, as of 2025-09-01', 0),
    ('seed-008', 'anthropic', 'claude-3-haiku-*', 1709769600000, 25000000, 3000000, 30000000, 125000000, 'anthropic list price, published pricing page, as of 2025-09-01', 0),
    ('seed-009', 'anthropic', 'claude-3-opus-*', 1709164800000, 1500000000, 150000000, 1875000000, 7500000000, 'anthropic list price, published pricing page, as of 2025-09-01', 0),
    ('seed-010', 'openai', 'gpt-5', 1754524800000, 125000000, 12500000, 125000000, 1000000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-011', 'openai', 'gpt-5-*', 1754524800000, 125000000, 12500000, 125000000, 1000000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-012', 'openai', 'gpt-5-mini', 1754524800000, 25000000, 2500000, 25000000, 200000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-013', 'openai', 'gpt-5-mini-*', 1754524800000, 25000000, 2500000, 25000000, 200000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-014', 'openai', 'gpt-5-nano', 1754524800000, 5000000, 500000, 5000000, 40000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-015', 'openai', 'gpt-5-nano-*', 1754524800000, 5000000, 500000, 5000000, 40000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-016', 'openai', 'gpt-4.1', 1744588800000, 200000000, 50000000, 200000000, 800000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-017', 'openai', 'gpt-4.1-*', 1744588800000, 200000000, 50000000, 200000000, 800000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-018', 'openai', 'gpt-4.1-mini', 1744588800000, 40000000, 10000000, 40000000, 160000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-019', 'openai', 'gpt-4.1-mini-*', 1744588800000, 40000000, 10000000, 40000000, 160000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-020', 'openai', 'gpt-4.1-nano', 1744588800000, 10000000, 2500000, 10000000, 40000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-021', 'openai', 'gpt-4.1-nano-*', 1744588800000, 10000000, 2500000, 10000000, 40000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-022', 'openai', 'gpt-4o', 1722902400000, 250000000, 125000000, 250000000, 1000000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-023', 'openai', 'gpt-4o-*', 1722902400000, 250000000, 125000000, 250000000, 1000000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-024', 'openai', 'gpt-4o-mini', 1721260800000, 15000000, 7500000, 15000000, 60000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-025', 'openai', 'gpt-4o-mini-*', 1721260800000, 15000000, 7500000, 15000000, 60000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-026', 'openai', 'o3', 1749513600000, 200000000, 50000000, 200000000, 800000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-027', 'openai', 'o3-*', 1749513600000, 200000000, 50000000, 200000000, 800000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-028', 'openai', 'o4-mini', 1744761600000, 110000000, 27500000, 110000000, 440000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-029', 'openai', 'o4-mini-*', 1744761600000, 110000000, 27500000, 110000000, 440000000, 'openai list price, published pricing page, as of 2025-09-01', 0),
    ('seed-030', 'google', 'gemini-2.5-pro', 1750118400000, 125000000, 31000000, 125000000, 1000000000, 'google list price, published pricing page, as of 2025-09-01', 0),
    ('seed-031', 'google', 'gemini-2.5-pro-*', 1750118400000, 125000000, 31000000, 125000000, 1000000000, 'google list price, published pricing page, as of 2025-09-01', 0),
    ('seed-032', 'google', 'gemini-2.5-flash', 1750118400000, 30000000, 7500000, 30000000, 250000000, 'google list price, published pricing page, as of 2025-09-01', 0),
    ('seed-033', 'google', 'gemini-2.5-flash-lite', 1753142400000, 10000000, 2500000, 10000000, 40000000, 'google list price, published pricing page, as of 2025-09-01', 0),
    ('seed-034', 'google', 'gemini-2.5-flash-lite-*', 1753142400000, 10000000, 2500000, 10000000, 40000000, 'google list price, published pricing page, as of 2025-09-01', 0),
    ('seed-035', 'google', 'gemini-2.0-flash', 1738713600000, 10000000, 2500000, 10000000, 40000000, 'google list price, published pricing page, as of 2025-09-01', 0),
    ('seed-036', 'google', 'gemini-2.0-flash-*', 1738713600000, 10000000, 2500000, 10000000, 40000000, 'google list price, published pricing page, as of 2025-09-01', 0);
