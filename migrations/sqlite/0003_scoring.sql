-- Scoring: policies as versioned data, score snapshots (one per change), and each shop's current score.

CREATE TABLE policies (
    version     TEXT PRIMARY KEY,
    -- The policy as JSON (the scoring crate's `Policy`), validated before it is stored.
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    adopted_at  INTEGER
);

CREATE TABLE score_snapshots (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id               INTEGER NOT NULL REFERENCES shops(id),
    at                    INTEGER NOT NULL,
    score                 INTEGER NOT NULL,
    colour                TEXT NOT NULL CHECK (colour IN ('green', 'yellow', 'red')),
    provisional           INTEGER NOT NULL,
    colour_since          INTEGER NOT NULL,
    policy_version        TEXT NOT NULL,
    -- The district prior used, so a past score can be recomputed exactly.
    district_mean_rating  REAL NOT NULL,
    -- The whole assessment (breakdown, reasons, path to green) as JSON.
    assessment            TEXT NOT NULL
);
CREATE INDEX score_snapshots_by_shop ON score_snapshots (shop_id, at, id);

CREATE TABLE shop_scores (
    shop_id         INTEGER PRIMARY KEY REFERENCES shops(id),
    snapshot_id     INTEGER NOT NULL REFERENCES score_snapshots(id),
    score           INTEGER NOT NULL,
    colour          TEXT NOT NULL,
    provisional     INTEGER NOT NULL,
    colour_since    INTEGER NOT NULL,
    policy_version  TEXT NOT NULL,
    -- When the shop was last rescored, changed or not (the sweep's bookmark).
    computed_at     INTEGER NOT NULL
);
CREATE INDEX shop_scores_by_colour ON shop_scores (colour);
CREATE INDEX shop_scores_by_computed ON shop_scores (computed_at);
