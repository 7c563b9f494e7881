-- Notifications: webhook endpoints per company, a transactional outbox of events written
-- in the same transaction as the alert or pause they announce, and one delivery per event
-- and matching endpoint. Booleans are 0/1, times epoch milliseconds.

CREATE TABLE webhook_endpoints (
    id                   TEXT PRIMARY KEY NOT NULL,
    company_id           TEXT NOT NULL REFERENCES companies (id),
    url                  TEXT NOT NULL,
    -- The subscribed event types, comma-separated and comma-framed (",alert.soft,"), so
    -- one LIKE matches a type in both dialects.
    events               TEXT NOT NULL,
    format               TEXT NOT NULL,
    enabled              BIGINT NOT NULL,
    -- Base64 of the HMAC key: what signing needs, shown once as whsec_... at creation.
    signing_key          TEXT NOT NULL,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    disabled_reason      TEXT,
    -- The sender instance delivering to this endpoint now, and until when it may.
    lease_owner          TEXT,
    lease_until          BIGINT NOT NULL DEFAULT 0,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_company ON webhook_endpoints (company_id, created_at);

CREATE TABLE notifications (
    seq        BIGSERIAL PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    company_id TEXT NOT NULL,
    type       TEXT NOT NULL,
    -- The JSON payload, its dashboardUrl relative until the sender prefixes the public URL.
    payload    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY NOT NULL,
    endpoint_id     TEXT NOT NULL,
    notification_id TEXT NOT NULL,
    -- The notification's seq: deliveries of one endpoint go out in this order.
    seq             BIGINT NOT NULL,
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_code       BIGINT,
    last_error      TEXT,
    last_attempt_at BIGINT,
    delivered_at    BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (endpoint_id, status, seq);
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (endpoint_id, created_at);

CREATE TABLE webhook_attempts (
    id            TEXT PRIMARY KEY NOT NULL,
    delivery_id   TEXT NOT NULL,
    endpoint_id   TEXT NOT NULL,
    attempted_at  BIGINT NOT NULL,
    response_code BIGINT,
    error         TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempted_at);
