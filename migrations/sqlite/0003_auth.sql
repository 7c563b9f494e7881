-- Auth, SQLite dialect: board users and their sessions, board API tokens, agent API
-- keys. No secret is stored: passwords as argon2id PHC strings; tokens, keys and session
-- ids as the SHA-256 hex of the whole value (random, at least 128 bits, so a fast hash
-- suffices). Times are epoch milliseconds (UTC).

CREATE TABLE board_users (
    id            TEXT PRIMARY KEY NOT NULL,
    -- Lower-cased, trimmed.
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX board_users_email ON board_users (email);

CREATE TABLE board_sessions (
    -- SHA-256 of the cookie value.
    id_hash    TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES board_users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX board_sessions_user ON board_sessions (user_id);
CREATE INDEX board_sessions_expiry ON board_sessions (expires_at);

CREATE TABLE board_tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    -- The public start of the token (`clb_` and 12 hex digits), to find it and show it.
    prefix       TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    name         TEXT,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE UNIQUE INDEX board_tokens_prefix ON board_tokens (prefix);

CREATE TABLE agent_keys (
    id           TEXT PRIMARY KEY NOT NULL,
    agent_id     TEXT NOT NULL REFERENCES agents (id),
    -- The public start of the key (`cla_` and 12 hex digits).
    prefix       TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE UNIQUE INDEX agent_keys_prefix ON agent_keys (prefix);
CREATE INDEX agent_keys_agent ON agent_keys (agent_id, created_at);
