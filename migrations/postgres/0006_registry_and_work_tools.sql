-- Grids are a registry: created on purpose (`POST /v1/grids`, `shopcredit grid create`), with a name,
-- never on first use. Grids created on first use before this migration are named after their code.
ALTER TABLE grids ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE grids SET name = code WHERE name = '';

-- Shops may be suspended (by the regulator) as well as closed, and may carry their unified social
-- credit code (统一社会信用代码), unique when given.
ALTER TABLE shops DROP CONSTRAINT shops_status_check;
ALTER TABLE shops ADD CONSTRAINT shops_status_check CHECK (status IN ('open', 'closed', 'suspended'));
ALTER TABLE shops ADD COLUMN credit_code TEXT;
CREATE UNIQUE INDEX shops_by_credit_code ON shops (credit_code) WHERE credit_code IS NOT NULL;

-- A regulator may reject a held review: it stays in history and never counts.
ALTER TABLE reviews DROP CONSTRAINT reviews_status_check;
ALTER TABLE reviews ADD CONSTRAINT reviews_status_check CHECK (status IN ('counted', 'held', 'rejected'));

-- The hazard work queue across grids, oldest deadline first.
CREATE INDEX hazards_by_shop_deadline ON hazards (shop_id, deadline, id);
