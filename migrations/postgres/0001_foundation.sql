-- Foundation: grids, shops, API tokens. Times are integer milliseconds since the Unix epoch (UTC):
-- sqlx's Any driver has no portable date type, and integers compare and index the same on both backends.

CREATE TABLE grids (
    code        TEXT PRIMARY KEY,
    created_at  BIGINT NOT NULL
);

CREATE TABLE shops (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    address      TEXT NOT NULL,
    category     TEXT NOT NULL,
    grid         TEXT NOT NULL REFERENCES grids(code),
    lat          DOUBLE PRECISION,
    lon          DOUBLE PRECISION,
    owner_name   TEXT NOT NULL,
    owner_phone  TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX shops_by_grid ON shops (grid, id);
CREATE INDEX shops_by_category ON shops (category, id);

CREATE TABLE api_tokens (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    prefix      TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'inspector', 'regulator', 'admin')),
    label       TEXT,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE TABLE token_shops (
    token_id  BIGINT NOT NULL REFERENCES api_tokens(id),
    shop_id   BIGINT NOT NULL REFERENCES shops(id),
    PRIMARY KEY (token_id, shop_id)
);

CREATE TABLE token_grids (
    token_id  BIGINT NOT NULL REFERENCES api_tokens(id),
    grid      TEXT NOT NULL REFERENCES grids(code),
    PRIMARY KEY (token_id, grid)
);
