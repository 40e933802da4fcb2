-- Scoring: policies as versioned data, score snapshots (one per change), and each shop's current score.

CREATE TABLE policies (
    version     TEXT PRIMARY KEY,
    -- The policy as JSON (the scoring crate's `Policy`), validated before it is stored.
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    adopted_at  BIGINT
);

CREATE TABLE score_snapshots (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id               BIGINT NOT NULL REFERENCES shops(id),
    at                    BIGINT NOT NULL,
    score                 BIGINT NOT NULL,
    colour                TEXT NOT NULL CHECK (colour IN ('green', 'yellow', 'red')),
    provisional           BIGINT NOT NULL,
    colour_since          BIGINT NOT NULL,
    policy_version        TEXT NOT NULL,
    -- The district prior used, so a past score can be recomputed exactly.
    district_mean_rating  DOUBLE PRECISION NOT NULL,
    -- The whole assessment (breakdown, reasons, path to green) as JSON.
    assessment            TEXT NOT NULL
);
CREATE INDEX score_snapshots_by_shop ON score_snapshots (shop_id, at, id);

CREATE TABLE shop_scores (
    shop_id         BIGINT PRIMARY KEY REFERENCES shops(id),
    snapshot_id     BIGINT NOT NULL REFERENCES score_snapshots(id),
    score           BIGINT NOT NULL,
    colour          TEXT NOT NULL,
    provisional     BIGINT NOT NULL,
    colour_since    BIGINT NOT NULL,
    policy_version  TEXT NOT NULL,
    -- When the shop was last rescored, changed or not (the sweep's bookmark).
    computed_at     BIGINT NOT NULL
);
CREATE INDEX shop_scores_by_colour ON shop_scores (colour);
CREATE INDEX shop_scores_by_computed ON shop_scores (computed_at);
