-- Issue 10: every text a client sends is bounded in the database too, not only by the API: a
-- backstop for a write path that forgets to validate. Each bound is the API's (the OpenAPI document
-- states it), or above it where the service builds the text itself (a failed checklist item's
-- description is its title and the owner's note). Lengths are in characters.
-- NOT VALID: rows written before this migration are not re-checked; every new write is.
ALTER TABLE grids ADD CONSTRAINT grids_code_length CHECK (char_length(code) <= 16) NOT VALID;
ALTER TABLE grids ADD CONSTRAINT grids_name_length CHECK (char_length(name) <= 100) NOT VALID;
ALTER TABLE shops ADD CONSTRAINT shops_code_length CHECK (char_length(code) <= 8) NOT VALID;
ALTER TABLE shops ADD CONSTRAINT shops_name_length CHECK (char_length(name) <= 100) NOT VALID;
ALTER TABLE shops ADD CONSTRAINT shops_address_length CHECK (char_length(address) <= 200) NOT VALID;
ALTER TABLE shops ADD CONSTRAINT shops_owner_name_length CHECK (char_length(owner_name) <= 50) NOT VALID;
ALTER TABLE shops ADD CONSTRAINT shops_owner_phone_length CHECK (char_length(owner_phone) <= 24) NOT VALID;
ALTER TABLE shops ADD CONSTRAINT shops_credit_code_length CHECK (char_length(credit_code) <= 18) NOT VALID;
ALTER TABLE self_check_answers ADD CONSTRAINT self_check_answers_item_id_length CHECK (char_length(item_id) <= 64) NOT VALID;
ALTER TABLE self_check_answers ADD CONSTRAINT self_check_answers_note_length CHECK (char_length(note) <= 500) NOT VALID;
ALTER TABLE self_check_answers ADD CONSTRAINT self_check_answers_expires_on_length CHECK (char_length(expires_on) <= 10) NOT VALID;
ALTER TABLE patrols ADD CONSTRAINT patrols_note_length CHECK (char_length(note) <= 1000) NOT VALID;
ALTER TABLE hazards ADD CONSTRAINT hazards_item_id_length CHECK (char_length(item_id) <= 64) NOT VALID;
ALTER TABLE hazards ADD CONSTRAINT hazards_description_length CHECK (char_length(description) <= 2000) NOT VALID;
ALTER TABLE hazards ADD CONSTRAINT hazards_description_en_length CHECK (char_length(description_en) <= 2000) NOT VALID;
ALTER TABLE reviews ADD CONSTRAINT reviews_text_length CHECK (char_length(text) <= 500) NOT VALID;
ALTER TABLE tips ADD CONSTRAINT tips_receipt_length CHECK (char_length(receipt) <= 10) NOT VALID;
ALTER TABLE tips ADD CONSTRAINT tips_description_length CHECK (char_length(description) <= 1000) NOT VALID;
ALTER TABLE tips ADD CONSTRAINT tips_contact_length CHECK (char_length(contact) <= 100) NOT VALID;
ALTER TABLE tips ADD CONSTRAINT tips_reason_length CHECK (char_length(reason) <= 500) NOT VALID;
ALTER TABLE disputes ADD CONSTRAINT disputes_reason_length CHECK (char_length(reason) <= 1000) NOT VALID;
ALTER TABLE disputes ADD CONSTRAINT disputes_note_length CHECK (char_length(note) <= 1000) NOT VALID;
ALTER TABLE case_actions ADD CONSTRAINT case_actions_note_length CHECK (char_length(note) <= 1000) NOT VALID;
ALTER TABLE case_actions ADD CONSTRAINT case_actions_place_length CHECK (char_length(place) <= 200) NOT VALID;
ALTER TABLE enforcement_cases ADD CONSTRAINT enforcement_cases_outcome_length CHECK (char_length(outcome) <= 200) NOT VALID;
ALTER TABLE policies ADD CONSTRAINT policies_version_length CHECK (char_length(version) <= 64) NOT VALID;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_key_length CHECK (char_length(key) <= 255) NOT VALID;
