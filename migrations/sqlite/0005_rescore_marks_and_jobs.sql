-- A shop whose evidence changed is marked in the same transaction as the evidence, and the mark is
-- cleared only by a rescore that saw that evidence: a rescore that fails after the write is retried
-- by the next sweep pass instead of waiting for the shop to go stale.
ALTER TABLE shops ADD COLUMN rescore_requested_at INTEGER;
CREATE INDEX shops_rescore_requested ON shops (rescore_requested_at) WHERE rescore_requested_at IS NOT NULL;

-- Long work (adopting a policy rescores every shop; back-testing reads the whole district) runs as a
-- job outside the request. A worker claims a queued job with a compare-and-set update, so several
-- replicas never run the same job twice.
CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL CHECK (kind IN ('adopt_policy', 'backtest_policy')),
    status          TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    -- What the job works on, as JSON (e.g. {"version": "..."}).
    params          TEXT NOT NULL,
    progress_done   INTEGER NOT NULL DEFAULT 0,
    progress_total  INTEGER NOT NULL DEFAULT 0,
    -- The outcome as JSON once succeeded; the error message once failed.
    result          TEXT,
    error           TEXT,
    created_by      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    started_at      INTEGER,
    -- Refreshed while running: a running job whose heartbeat stops (its replica died) is retaken.
    heartbeat_at    INTEGER,
    finished_at     INTEGER
);
CREATE INDEX jobs_by_status ON jobs (status, id);
