// Package postgres is the inbox.Store for production and scale-out: any
// number of stateless inboxkit instances share one PostgreSQL database
// (15 or later) through jackc/pgx/v5.
//
// It shares its implementation with the SQLite store (package sqlstore):
// the same queries, with tenant_id leading every index and every WHERE
// clause. Full-text search uses a weighted tsvector (sender, subject,
// body) in a GIN index; text is accent-folded in Go before indexing and
// querying, so "eleonore" finds "Éléonore" without the unaccent extension.
// JSON columns are jsonb where they are queried (tags, sync reports) and
// json where they are stored verbatim (record documents).
//
// Migrations are embedded and run on Open under a PostgreSQL advisory
// lock, so instances starting together take turns; a database written by
// a newer inboxkit is refused. Integrations and outbox rows carry
// lease_owner / lease_until columns for schedulers that claim work with
// SELECT ... FOR UPDATE SKIP LOCKED.
package postgres
