-- Enforcement: the escalation ladder per overdue hazard, enforcement cases, the owner's notices and
-- the event feed for other systems. Unique keys make every step, notice and case idempotent, so
-- several replicas sweeping at once cannot double anything.

CREATE TABLE escalation_steps (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hazard_id  BIGINT NOT NULL REFERENCES hazards(id),
    shop_id    BIGINT NOT NULL REFERENCES shops(id),
    step       TEXT NOT NULL CHECK (step IN ('reminder', 'warning', 'summons', 'referral')),
    due_at     BIGINT NOT NULL,
    taken_at   BIGINT NOT NULL,
    UNIQUE (hazard_id, step)
);
CREATE INDEX escalation_steps_by_shop ON escalation_steps (shop_id, id);

CREATE TABLE enforcement_cases (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id        BIGINT NOT NULL REFERENCES shops(id),
    status         TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    reason         TEXT NOT NULL CHECK (reason IN ('unfixed_past_referral', 'repeated_red')),
    -- 3 critical, 2 major, 1 minor: the worst hazard behind the case, for the queue's order.
    severity_rank  BIGINT NOT NULL,
    opened_at      BIGINT NOT NULL,
    closed_at      BIGINT,
    outcome        TEXT
);
CREATE UNIQUE INDEX enforcement_one_open_case ON enforcement_cases (shop_id) WHERE status = 'open';
CREATE INDEX enforcement_cases_queue ON enforcement_cases (status, severity_rank, id);

CREATE TABLE case_hazards (
    case_id    BIGINT NOT NULL REFERENCES enforcement_cases(id),
    hazard_id  BIGINT NOT NULL REFERENCES hazards(id),
    PRIMARY KEY (case_id, hazard_id)
);

CREATE TABLE case_actions (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id   BIGINT NOT NULL REFERENCES enforcement_cases(id),
    kind      TEXT NOT NULL,
    note      TEXT NOT NULL,
    -- 1 while the action awaits its follow-up (a summons not yet held); a case with a pending
    -- action does not close by itself.
    pending   BIGINT NOT NULL DEFAULT 0,
    at        BIGINT NOT NULL,
    actor     TEXT NOT NULL
);
CREATE INDEX case_actions_by_case ON case_actions (case_id, id);

-- The owner's outbox: one notice per escalation step and per colour change.
CREATE TABLE notices (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id     BIGINT NOT NULL REFERENCES shops(id),
    kind        TEXT NOT NULL,
    at          BIGINT NOT NULL,
    hazard_id   BIGINT REFERENCES hazards(id),
    dedupe_key  TEXT NOT NULL UNIQUE,
    message_zh  TEXT NOT NULL,
    message_en  TEXT NOT NULL
);
CREATE INDEX notices_by_shop ON notices (shop_id, id);

-- The feed other systems follow: colour changes and cases opened or closed, in commit order.
CREATE TABLE feed (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       BIGINT NOT NULL,
    type     TEXT NOT NULL,
    shop_id  BIGINT NOT NULL REFERENCES shops(id),
    details  TEXT NOT NULL
);
