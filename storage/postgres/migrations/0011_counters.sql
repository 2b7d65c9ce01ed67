-- Rate-limit counters (inbox.Tx.AddCount): one row per key and window.
CREATE TABLE counters (
	tenant_id text NOT NULL REFERENCES tenants (id),
	key text NOT NULL,
	starts bigint NOT NULL,
	count bigint NOT NULL,
	PRIMARY KEY (tenant_id, key, starts)
);
