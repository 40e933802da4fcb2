-- Issue 9, point 7: a hazard the service describes itself (a failed self-check item, an expired
-- item) is described in both languages, so an English notice quotes English. NULL when the
-- description is someone's own words, quoted as written in both.
ALTER TABLE hazards ADD COLUMN description_en TEXT;
