-- Issue 10: a field app or a resident on a bad network retries a POST with the same Idempotency-Key
-- and gets the first answer back instead of a second write. One row per (caller and route, key): the
-- first request claims it (status NULL while it runs) and keeps its answer if it succeeded; a refused
-- or failed request lets go of it. A retry with another body is refused. Rows older than a day are
-- purged by the sweep.
CREATE TABLE idempotency_keys (
    -- Who sent it and where: a hash of the bearer token (or the client address for anonymous
    -- callers) and of the method and path.
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    -- SHA-256 of the method, path, query and body: a retry must be the same request.
    fingerprint  TEXT NOT NULL,
    claimed_at   INTEGER NOT NULL,
    status       INTEGER,
    content_type TEXT,
    location     TEXT,
    body         TEXT,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (claimed_at);
