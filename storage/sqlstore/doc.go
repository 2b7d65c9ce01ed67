// Package sqlstore is the SQL implementation of driver.Store shared by the
// SQLite and PostgreSQL stores: one implementation of every Tx method over
// database/sql, with a Dialect for what differs (placeholders, schema
// migrations, error codes, the full-text index).
//
// Each record is one row keyed by (tenant_id, id): the columns that
// queries filter and sort on, plus the whole record as a JSON document.
// Columns written by dedicated methods (an integration's sync cursor, a
// conversation's folder after DeleteFolder, a message's conversation after
// MoveMessage, versions and creation times) win over the document when
// reading. Times in columns are Unix nanoseconds, so keyset pagination
// compares integers in both databases.
//
// Uniqueness (dedupe keys, idempotency keys, contact identities, ids) is
// enforced by unique indexes; inserts use ON CONFLICT DO NOTHING and
// report inbox.ErrConflict, so a refused write leaves the transaction
// usable. Driver errors are mapped to inbox sentinels (StoreError) and
// never returned raw.
//
// Migrations (versioned SQL files embedded by each dialect) run on New
// under the dialect's lock; a database with a schema newer than the build
// is refused. inbox.ParseSearch defines the query syntax of
// ConversationQuery.Search.
package sqlstore
