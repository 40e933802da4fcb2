-- Issue 9: a regulator's summons names when and where the owner is to attend (both NULL for other
-- actions).
ALTER TABLE case_actions ADD COLUMN scheduled_at INTEGER;
ALTER TABLE case_actions ADD COLUMN place TEXT;

-- Issue 9: an item whose recorded expiry date has passed becomes a hazard by itself, once per
-- (shop, item, expiry date); a new date recorded by a later self-check may open another.
CREATE TABLE expiry_hazards (
    shop_id     INTEGER NOT NULL REFERENCES shops(id),
    item_id     TEXT NOT NULL,
    expires_on  TEXT NOT NULL,
    hazard_id   INTEGER NOT NULL REFERENCES hazards(id),
    PRIMARY KEY (shop_id, item_id, expires_on)
);
