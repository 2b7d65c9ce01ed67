-- Durable background work (inbox.WorkItem): one item per kind and key,
-- claimed by a worker, removed in the transaction recording its effect.
CREATE TABLE work (
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	id TEXT NOT NULL,
	kind TEXT NOT NULL,
	key TEXT NOT NULL,
	generation INTEGER NOT NULL,
	not_before INTEGER NOT NULL,
	claimed_by TEXT NOT NULL,
	claimed_until INTEGER NOT NULL,
	failed INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	doc TEXT NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX work_by_key ON work (tenant_id, kind, key);
CREATE INDEX work_due ON work (tenant_id, failed, not_before);
