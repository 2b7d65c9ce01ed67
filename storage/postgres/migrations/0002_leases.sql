-- Named, expiring leases (inbox.Leaser): which engine instance works on a
-- mailbox or a tenant's periodic job. expires_at is set and compared with
-- the database's clock, so instances with skewed clocks agree.
CREATE TABLE leases (
	name text PRIMARY KEY,
	holder text NOT NULL,
	expires_at timestamptz NOT NULL
);
