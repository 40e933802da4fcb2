-- Foundation: grids, shops, API tokens. Times are integer milliseconds since the Unix epoch (UTC):
-- sqlx's Any driver has no portable date type, and integers compare and index the same on both backends.

CREATE TABLE grids (
    code        TEXT PRIMARY KEY,
    created_at  INTEGER NOT NULL
);

CREATE TABLE shops (
    -- AUTOINCREMENT: ids are never reused, so list cursors stay valid.
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    code         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    address      TEXT NOT NULL,
    category     TEXT NOT NULL,
    grid         TEXT NOT NULL REFERENCES grids(code),
    lat          REAL,
    lon          REAL,
    owner_name   TEXT NOT NULL,
    owner_phone  TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX shops_by_grid ON shops (grid, id);
CREATE INDEX shops_by_category ON shops (category, id);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT NOT NULL UNIQUE,
    prefix      TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'inspector', 'regulator', 'admin')),
    label       TEXT,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE token_shops (
    token_id  INTEGER NOT NULL REFERENCES api_tokens(id),
    shop_id   INTEGER NOT NULL REFERENCES shops(id),
    PRIMARY KEY (token_id, shop_id)
);

CREATE TABLE token_grids (
    token_id  INTEGER NOT NULL REFERENCES api_tokens(id),
    grid      TEXT NOT NULL REFERENCES grids(code),
    PRIMARY KEY (token_id, grid)
);
