-- Durable background work (inbox.WorkItem): one item per kind and key,
-- claimed by a worker, removed in the transaction recording its effect.
CREATE TABLE work (
	tenant_id text NOT NULL REFERENCES tenants (id),
	id text NOT NULL,
	kind text NOT NULL,
	key text NOT NULL,
	generation bigint NOT NULL,
	not_before bigint NOT NULL,
	claimed_by text NOT NULL,
	claimed_until bigint NOT NULL,
	failed boolean NOT NULL,
	created_at bigint NOT NULL,
	doc json NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX work_by_key ON work (tenant_id, kind, key);
CREATE INDEX work_due ON work (tenant_id, failed, not_before);
