-- Issue 10: every text a client sends is bounded in the database too, not only by the API: a
-- backstop for a write path that forgets to validate. Each bound is the API's (the OpenAPI document
-- states it), or above it where the service builds the text itself (a failed checklist item's
-- description is its title and the owner's note). Lengths are in characters.
-- SQLite cannot add a CHECK to an existing table without rebuilding it, so triggers refuse the
-- write instead (the same error class: the statement is aborted).
CREATE TRIGGER grids_code_length_insert BEFORE INSERT ON grids
WHEN length(NEW.code) > 16
BEGIN SELECT RAISE(ABORT, 'grids.code is longer than 16 characters'); END;
CREATE TRIGGER grids_code_length_update BEFORE UPDATE OF code ON grids
WHEN length(NEW.code) > 16
BEGIN SELECT RAISE(ABORT, 'grids.code is longer than 16 characters'); END;
CREATE TRIGGER grids_name_length_insert BEFORE INSERT ON grids
WHEN length(NEW.name) > 100
BEGIN SELECT RAISE(ABORT, 'grids.name is longer than 100 characters'); END;
CREATE TRIGGER grids_name_length_update BEFORE UPDATE OF name ON grids
WHEN length(NEW.name) > 100
BEGIN SELECT RAISE(ABORT, 'grids.name is longer than 100 characters'); END;
CREATE TRIGGER shops_code_length_insert BEFORE INSERT ON shops
WHEN length(NEW.code) > 8
BEGIN SELECT RAISE(ABORT, 'shops.code is longer than 8 characters'); END;
CREATE TRIGGER shops_code_length_update BEFORE UPDATE OF code ON shops
WHEN length(NEW.code) > 8
BEGIN SELECT RAISE(ABORT, 'shops.code is longer than 8 characters'); END;
CREATE TRIGGER shops_name_length_insert BEFORE INSERT ON shops
WHEN length(NEW.name) > 100
BEGIN SELECT RAISE(ABORT, 'shops.name is longer than 100 characters'); END;
CREATE TRIGGER shops_name_length_update BEFORE UPDATE OF name ON shops
WHEN length(NEW.name) > 100
BEGIN SELECT RAISE(ABORT, 'shops.name is longer than 100 characters'); END;
CREATE TRIGGER shops_address_length_insert BEFORE INSERT ON shops
WHEN length(NEW.address) > 200
BEGIN SELECT RAISE(ABORT, 'shops.address is longer than 200 characters'); END;
CREATE TRIGGER shops_address_length_update BEFORE UPDATE OF address ON shops
WHEN length(NEW.address) > 200
BEGIN SELECT RAISE(ABORT, 'shops.address is longer than 200 characters'); END;
CREATE TRIGGER shops_owner_name_length_insert BEFORE INSERT ON shops
WHEN length(NEW.owner_name) > 50
BEGIN SELECT RAISE(ABORT, 'shops.owner_name is longer than 50 characters'); END;
CREATE TRIGGER shops_owner_name_length_update BEFORE UPDATE OF owner_name ON shops
WHEN length(NEW.owner_name) > 50
BEGIN SELECT RAISE(ABORT, 'shops.owner_name is longer than 50 characters'); END;
CREATE TRIGGER shops_owner_phone_length_insert BEFORE INSERT ON shops
WHEN length(NEW.owner_phone) > 24
BEGIN SELECT RAISE(ABORT, 'shops.owner_phone is longer than 24 characters'); END;
CREATE TRIGGER shops_owner_phone_length_update BEFORE UPDATE OF owner_phone ON shops
WHEN length(NEW.owner_phone) > 24
BEGIN SELECT RAISE(ABORT, 'shops.owner_phone is longer than 24 characters'); END;
CREATE TRIGGER shops_credit_code_length_insert BEFORE INSERT ON shops
WHEN length(NEW.credit_code) > 18
BEGIN SELECT RAISE(ABORT, 'shops.credit_code is longer than 18 characters'); END;
CREATE TRIGGER shops_credit_code_length_update BEFORE UPDATE OF credit_code ON shops
WHEN length(NEW.credit_code) > 18
BEGIN SELECT RAISE(ABORT, 'shops.credit_code is longer than 18 characters'); END;
CREATE TRIGGER self_check_answers_item_id_length_insert BEFORE INSERT ON self_check_answers
WHEN length(NEW.item_id) > 64
BEGIN SELECT RAISE(ABORT, 'self_check_answers.item_id is longer than 64 characters'); END;
CREATE TRIGGER self_check_answers_item_id_length_update BEFORE UPDATE OF item_id ON self_check_answers
WHEN length(NEW.item_id) > 64
BEGIN SELECT RAISE(ABORT, 'self_check_answers.item_id is longer than 64 characters'); END;
CREATE TRIGGER self_check_answers_note_length_insert BEFORE INSERT ON self_check_answers
WHEN length(NEW.note) > 500
BEGIN SELECT RAISE(ABORT, 'self_check_answers.note is longer than 500 characters'); END;
CREATE TRIGGER self_check_answers_note_length_update BEFORE UPDATE OF note ON self_check_answers
WHEN length(NEW.note) > 500
BEGIN SELECT RAISE(ABORT, 'self_check_answers.note is longer than 500 characters'); END;
CREATE TRIGGER self_check_answers_expires_on_length_insert BEFORE INSERT ON self_check_answers
WHEN length(NEW.expires_on) > 10
BEGIN SELECT RAISE(ABORT, 'self_check_answers.expires_on is longer than 10 characters'); END;
CREATE TRIGGER self_check_answers_expires_on_length_update BEFORE UPDATE OF expires_on ON self_check_answers
WHEN length(NEW.expires_on) > 10
BEGIN SELECT RAISE(ABORT, 'self_check_answers.expires_on is longer than 10 characters'); END;
CREATE TRIGGER patrols_note_length_insert BEFORE INSERT ON patrols
WHEN length(NEW.note) > 1000
BEGIN SELECT RAISE(ABORT, 'patrols.note is longer than 1000 characters'); END;
CREATE TRIGGER patrols_note_length_update BEFORE UPDATE OF note ON patrols
WHEN length(NEW.note) > 1000
BEGIN SELECT RAISE(ABORT, 'patrols.note is longer than 1000 characters'); END;
CREATE TRIGGER hazards_item_id_length_insert BEFORE INSERT ON hazards
WHEN length(NEW.item_id) > 64
BEGIN SELECT RAISE(ABORT, 'hazards.item_id is longer than 64 characters'); END;
CREATE TRIGGER hazards_item_id_length_update BEFORE UPDATE OF item_id ON hazards
WHEN length(NEW.item_id) > 64
BEGIN SELECT RAISE(ABORT, 'hazards.item_id is longer than 64 characters'); END;
CREATE TRIGGER hazards_description_length_insert BEFORE INSERT ON hazards
WHEN length(NEW.description) > 2000
BEGIN SELECT RAISE(ABORT, 'hazards.description is longer than 2000 characters'); END;
CREATE TRIGGER hazards_description_length_update BEFORE UPDATE OF description ON hazards
WHEN length(NEW.description) > 2000
BEGIN SELECT RAISE(ABORT, 'hazards.description is longer than 2000 characters'); END;
CREATE TRIGGER hazards_description_en_length_insert BEFORE INSERT ON hazards
WHEN length(NEW.description_en) > 2000
BEGIN SELECT RAISE(ABORT, 'hazards.description_en is longer than 2000 characters'); END;
CREATE TRIGGER hazards_description_en_length_update BEFORE UPDATE OF description_en ON hazards
WHEN length(NEW.description_en) > 2000
BEGIN SELECT RAISE(ABORT, 'hazards.description_en is longer than 2000 characters'); END;
CREATE TRIGGER reviews_text_length_insert BEFORE INSERT ON reviews
WHEN length(NEW.text) > 500
BEGIN SELECT RAISE(ABORT, 'reviews.text is longer than 500 characters'); END;
CREATE TRIGGER reviews_text_length_update BEFORE UPDATE OF text ON reviews
WHEN length(NEW.text) > 500
BEGIN SELECT RAISE(ABORT, 'reviews.text is longer than 500 characters'); END;
CREATE TRIGGER tips_receipt_length_insert BEFORE INSERT ON tips
WHEN length(NEW.receipt) > 10
BEGIN SELECT RAISE(ABORT, 'tips.receipt is longer than 10 characters'); END;
CREATE TRIGGER tips_receipt_length_update BEFORE UPDATE OF receipt ON tips
WHEN length(NEW.receipt) > 10
BEGIN SELECT RAISE(ABORT, 'tips.receipt is longer than 10 characters'); END;
CREATE TRIGGER tips_description_length_insert BEFORE INSERT ON tips
WHEN length(NEW.description) > 1000
BEGIN SELECT RAISE(ABORT, 'tips.description is longer than 1000 characters'); END;
CREATE TRIGGER tips_description_length_update BEFORE UPDATE OF description ON tips
WHEN length(NEW.description) > 1000
BEGIN SELECT RAISE(ABORT, 'tips.description is longer than 1000 characters'); END;
CREATE TRIGGER tips_contact_length_insert BEFORE INSERT ON tips
WHEN length(NEW.contact) > 100
BEGIN SELECT RAISE(ABORT, 'tips.contact is longer than 100 characters'); END;
CREATE TRIGGER tips_contact_length_update BEFORE UPDATE OF contact ON tips
WHEN length(NEW.contact) > 100
BEGIN SELECT RAISE(ABORT, 'tips.contact is longer than 100 characters'); END;
CREATE TRIGGER tips_reason_length_insert BEFORE INSERT ON tips
WHEN length(NEW.reason) > 500
BEGIN SELECT RAISE(ABORT, 'tips.reason is longer than 500 characters'); END;
CREATE TRIGGER tips_reason_length_update BEFORE UPDATE OF reason ON tips
WHEN length(NEW.reason) > 500
BEGIN SELECT RAISE(ABORT, 'tips.reason is longer than 500 characters'); END;
CREATE TRIGGER disputes_reason_length_insert BEFORE INSERT ON disputes
WHEN length(NEW.reason) > 1000
BEGIN SELECT RAISE(ABORT, 'disputes.reason is longer than 1000 characters'); END;
CREATE TRIGGER disputes_reason_length_update BEFORE UPDATE OF reason ON disputes
WHEN length(NEW.reason) > 1000
BEGIN SELECT RAISE(ABORT, 'disputes.reason is longer than 1000 characters'); END;
CREATE TRIGGER disputes_note_length_insert BEFORE INSERT ON disputes
WHEN length(NEW.note) > 1000
BEGIN SELECT RAISE(ABORT, 'disputes.note is longer than 1000 characters'); END;
CREATE TRIGGER disputes_note_length_update BEFORE UPDATE OF note ON disputes
WHEN length(NEW.note) > 1000
BEGIN SELECT RAISE(ABORT, 'disputes.note is longer than 1000 characters'); END;
CREATE TRIGGER case_actions_note_length_insert BEFORE INSERT ON case_actions
WHEN length(NEW.note) > 1000
BEGIN SELECT RAISE(ABORT, 'case_actions.note is longer than 1000 characters'); END;
CREATE TRIGGER case_actions_note_length_update BEFORE UPDATE OF note ON case_actions
WHEN length(NEW.note) > 1000
BEGIN SELECT RAISE(ABORT, 'case_actions.note is longer than 1000 characters'); END;
CREATE TRIGGER case_actions_place_length_insert BEFORE INSERT ON case_actions
WHEN length(NEW.place) > 200
BEGIN SELECT RAISE(ABORT, 'case_actions.place is longer than 200 characters'); END;
CREATE TRIGGER case_actions_place_length_update BEFORE UPDATE OF place ON case_actions
WHEN length(NEW.place) > 200
BEGIN SELECT RAISE(ABORT, 'case_actions.place is longer than 200 characters'); END;
CREATE TRIGGER enforcement_cases_outcome_length_insert BEFORE INSERT ON enforcement_cases
WHEN length(NEW.outcome) > 200
BEGIN SELECT RAISE(ABORT, 'enforcement_cases.outcome is longer than 200 characters'); END;
CREATE TRIGGER enforcement_cases_outcome_length_update BEFORE UPDATE OF outcome ON enforcement_cases
WHEN length(NEW.outcome) > 200
BEGIN SELECT RAISE(ABORT, 'enforcement_cases.outcome is longer than 200 characters'); END;
CREATE TRIGGER policies_version_length_insert BEFORE INSERT ON policies
WHEN length(NEW.version) > 64
BEGIN SELECT RAISE(ABORT, 'policies.version is longer than 64 characters'); END;
CREATE TRIGGER policies_version_length_update BEFORE UPDATE OF version ON policies
WHEN length(NEW.version) > 64
BEGIN SELECT RAISE(ABORT, 'policies.version is longer than 64 characters'); END;
CREATE TRIGGER idempotency_keys_key_length_insert BEFORE INSERT ON idempotency_keys
WHEN length(NEW.key) > 255
BEGIN SELECT RAISE(ABORT, 'idempotency_keys.key is longer than 255 characters'); END;
CREATE TRIGGER idempotency_keys_key_length_update BEFORE UPDATE OF key ON idempotency_keys
WHEN length(NEW.key) > 255
BEGIN SELECT RAISE(ABORT, 'idempotency_keys.key is longer than 255 characters'); END;
