-- A quarantined message's identity across re-deliveries (QuarantineItem.Key):
-- unique per tenant, so one bad message fetched again is kept once.
ALTER TABLE quarantine ADD COLUMN dedupe_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX quarantine_by_key ON quarantine (tenant_id, dedupe_key) WHERE dedupe_key <> '';
