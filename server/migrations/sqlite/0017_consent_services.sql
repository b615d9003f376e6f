-- Per-service consent (issue 19): the third parties (`category/name`) a
-- record lets run and those it does not, as JSON arrays like `accepted`
-- and `rejected`. Records stored before have none.
ALTER TABLE consent_records ADD COLUMN services_accepted TEXT NOT NULL DEFAULT '[]';
ALTER TABLE consent_records ADD COLUMN services_rejected TEXT NOT NULL DEFAULT '[]';
