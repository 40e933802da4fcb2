-- Evidence: self-checks, patrols, hazards, reviews, tip-offs, disputes, and the append-only audit trail.
-- Times are epoch milliseconds; dates the owner types (expiry) are ISO 'YYYY-MM-DD' text, which sorts.

CREATE TABLE events (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id       BIGINT NOT NULL REFERENCES shops(id),
    at            BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    role          TEXT NOT NULL,
    action        TEXT NOT NULL,
    subject_type  TEXT NOT NULL,
    subject_id    BIGINT NOT NULL,
    details       TEXT NOT NULL
);
CREATE INDEX events_by_shop ON events (shop_id, id);

CREATE TABLE self_checks (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id           BIGINT NOT NULL REFERENCES shops(id),
    template_version  TEXT NOT NULL,
    submitted_at      BIGINT NOT NULL,
    actor             TEXT NOT NULL,
    passed            BIGINT NOT NULL,
    failed            BIGINT NOT NULL,
    not_applicable    BIGINT NOT NULL
);
CREATE INDEX self_checks_by_shop ON self_checks (shop_id, submitted_at);

CREATE TABLE self_check_answers (
    self_check_id  BIGINT NOT NULL REFERENCES self_checks(id),
    item_id        TEXT NOT NULL,
    result         TEXT NOT NULL CHECK (result IN ('pass', 'fail', 'not_applicable')),
    note           TEXT,
    expires_on     TEXT,
    evidence       TEXT NOT NULL,
    PRIMARY KEY (self_check_id, item_id)
);

-- The latest expiry date the owner entered per tracked item (extinguisher, licence, ...), for alerts.
CREATE TABLE tracked_expiries (
    shop_id        BIGINT NOT NULL REFERENCES shops(id),
    item_id        TEXT NOT NULL,
    expires_on     TEXT NOT NULL,
    self_check_id  BIGINT NOT NULL REFERENCES self_checks(id),
    PRIMARY KEY (shop_id, item_id)
);
CREATE INDEX tracked_expiries_by_date ON tracked_expiries (expires_on);

CREATE TABLE patrols (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id        BIGINT NOT NULL REFERENCES shops(id),
    kind           TEXT NOT NULL CHECK (kind IN ('grid_patrol', 'professional_inspection')),
    observed_at    BIGINT NOT NULL,
    recorded_at    BIGINT NOT NULL,
    actor          TEXT NOT NULL,
    finding_count  BIGINT NOT NULL,
    note           TEXT
);
CREATE INDEX patrols_by_shop ON patrols (shop_id, observed_at);

CREATE TABLE hazards (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id       BIGINT NOT NULL REFERENCES shops(id),
    source        TEXT NOT NULL CHECK (source IN ('self_check', 'patrol', 'tip_off')),
    source_id     BIGINT NOT NULL,
    item_id       TEXT,
    hazard_type   TEXT NOT NULL,
    severity      TEXT NOT NULL CHECK (severity IN ('critical', 'major', 'minor')),
    description   TEXT NOT NULL,
    evidence      TEXT NOT NULL,
    observed_at   BIGINT NOT NULL,
    deadline      BIGINT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('open', 'awaiting_verification', 'closed')),
    rectified_at  BIGINT,
    closed_at     BIGINT,
    -- 1 once a dispute about it was upheld: kept in history, no longer counted.
    excluded      BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX hazards_by_shop ON hazards (shop_id, id);
CREATE INDEX hazards_by_deadline ON hazards (status, deadline);

CREATE TABLE reviews (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id      BIGINT NOT NULL REFERENCES shops(id),
    rating       BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    text         TEXT,
    -- Hash of the normalised text, to find duplicates without comparing long strings.
    text_key     TEXT,
    -- Hash of the client's address: enough for rate limits, nothing to identify a resident by.
    client_key   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('counted', 'held')),
    hold_reason  TEXT,
    cleared_at   BIGINT,
    excluded     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX reviews_by_shop ON reviews (shop_id, created_at);
CREATE INDEX reviews_by_client ON reviews (client_key, created_at);
CREATE INDEX reviews_by_status ON reviews (status, id);

CREATE TABLE tips (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    receipt      TEXT NOT NULL UNIQUE,
    shop_id      BIGINT NOT NULL REFERENCES shops(id),
    hazard_type  TEXT NOT NULL,
    description  TEXT NOT NULL,
    contact      TEXT,
    client_key   TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'dismissed')),
    reason       TEXT,
    hazard_id    BIGINT REFERENCES hazards(id),
    created_at   BIGINT NOT NULL,
    resolved_at  BIGINT
);
CREATE INDEX tips_by_status ON tips (status, id);
CREATE INDEX tips_by_client ON tips (client_key, created_at);

CREATE TABLE disputes (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id      BIGINT NOT NULL REFERENCES shops(id),
    target_type  TEXT NOT NULL CHECK (target_type IN ('hazard', 'review')),
    target_id    BIGINT NOT NULL,
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'upheld', 'rejected')),
    note         TEXT,
    created_at   BIGINT NOT NULL,
    resolved_at  BIGINT
);
-- At most one open dispute per finding or review.
CREATE UNIQUE INDEX disputes_one_open ON disputes (target_type, target_id) WHERE status = 'open';
CREATE INDEX disputes_by_status ON disputes (status, id);
