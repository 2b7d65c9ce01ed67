-- Named, expiring leases (inbox.Leaser): which engine instance works on a
-- mailbox or a tenant's periodic job. expires_at is Unix nanoseconds.
CREATE TABLE leases (
	name TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	expires_at INTEGER NOT NULL
);
