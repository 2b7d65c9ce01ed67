// Package postgres is the driver.Store for production and scale-out: any
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
//
// Write transactions of one tenant run in parallel here, unlike on SQLite:
// the store reports how many are worth it (driver.ParallelWriter, a quarter
// of Options.MaxConns, at least two), and Engine.IngestOne runs that many
// group-commit lanes per tenant. Tables that filled before autovacuum first
// analysed them are analysed by the store itself during its first minutes,
// so a new deployment's first syncs do not run on plans made for empty
// tables.
package postgres
