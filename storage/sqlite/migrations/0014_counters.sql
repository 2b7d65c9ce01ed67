-- Rate-limit counters (inbox.Tx.AddCount): one row per key and window.
CREATE TABLE counters (
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	key TEXT NOT NULL,
	starts INTEGER NOT NULL,
	count INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, key, starts)
);
