-- Grids are a registry: created on purpose (`POST /v1/grids`, `shopcredit grid create`), with a name,
-- never on first use. Grids created on first use before this migration are named after their code.
ALTER TABLE grids ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE grids SET name = code WHERE name = '';

-- Shops may be suspended (by the regulator) as well as closed, and may carry their unified social
-- credit code (统一社会信用代码), unique when given. Reviews may be rejected by a regulator (kept in
-- history, never counted).
--
-- SQLite cannot alter a CHECK constraint, so both tables are rebuilt. sqlx runs a migration in a
-- transaction, where `PRAGMA foreign_keys = OFF` does nothing, so the rebuild keeps foreign keys on
-- and defers their checks to commit: the rows are copied aside, the table dropped (its children's
-- rows count as violations for a moment) and created again under the same name, and copying the rows
-- back with their ids resolves every violation. The AUTOINCREMENT counter is restored, so ids are
-- never reused; the indexes are created again.
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE shops_copy AS SELECT * FROM shops;
CREATE TEMP TABLE reviews_copy AS SELECT * FROM reviews;
CREATE TEMP TABLE sequence_copy AS SELECT name, seq FROM sqlite_sequence WHERE name IN ('shops', 'reviews');
DROP TABLE reviews;
DROP TABLE shops;

CREATE TABLE shops (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    code                  TEXT NOT NULL UNIQUE,
    name                  TEXT NOT NULL,
    address               TEXT NOT NULL,
    category              TEXT NOT NULL,
    grid                  TEXT NOT NULL REFERENCES grids(code),
    lat                   REAL,
    lon                   REAL,
    owner_name            TEXT NOT NULL,
    owner_phone           TEXT NOT NULL,
    status                TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'suspended')),
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    rescore_requested_at  INTEGER,
    credit_code           TEXT
);
INSERT INTO shops (id, code, name, address, category, grid, lat, lon, owner_name, owner_phone,
                   status, created_at, updated_at, rescore_requested_at)
    SELECT id, code, name, address, category, grid, lat, lon, owner_name, owner_phone,
           status, created_at, updated_at, rescore_requested_at
    FROM shops_copy;
CREATE INDEX shops_by_grid ON shops (grid, id);
CREATE INDEX shops_by_category ON shops (category, id);
CREATE INDEX shops_rescore_requested ON shops (rescore_requested_at) WHERE rescore_requested_at IS NOT NULL;
CREATE UNIQUE INDEX shops_by_credit_code ON shops (credit_code) WHERE credit_code IS NOT NULL;

CREATE TABLE reviews (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id      INTEGER NOT NULL REFERENCES shops(id),
    rating       INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    text         TEXT,
    -- Hash of the normalised text, to find duplicates without comparing long strings.
    text_key     TEXT,
    -- Hash of the client's address: enough for rate limits, nothing to identify a resident by.
    client_key   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('counted', 'held', 'rejected')),
    hold_reason  TEXT,
    cleared_at   INTEGER,
    excluded     INTEGER NOT NULL DEFAULT 0
);
INSERT INTO reviews (id, shop_id, rating, text, text_key, client_key, created_at, status,
                     hold_reason, cleared_at, excluded)
    SELECT id, shop_id, rating, text, text_key, client_key, created_at, status,
           hold_reason, cleared_at, excluded
    FROM reviews_copy;
CREATE INDEX reviews_by_shop ON reviews (shop_id, created_at);
CREATE INDEX reviews_by_client ON reviews (client_key, created_at);
CREATE INDEX reviews_by_status ON reviews (status, id);

UPDATE sqlite_sequence SET seq = (SELECT c.seq FROM sequence_copy c WHERE c.name = sqlite_sequence.name)
    WHERE name IN (SELECT name FROM sequence_copy);
DROP TABLE shops_copy;
DROP TABLE reviews_copy;
DROP TABLE sequence_copy;

-- The hazard work queue across grids, oldest deadline first.
CREATE INDEX hazards_by_shop_deadline ON hazards (shop_id, deadline, id);
