// Package sqlite is the embedded default inbox.Store: one SQLite file
// (modernc.org/sqlite, pure Go, no cgo) in WAL mode with foreign keys on,
// a single writer connection and a pool of readers.
//
// Messages are indexed in an FTS5 table (unicode61 tokenizer with
// remove_diacritics 2, so "eleonore" finds "Éléonore") in the same
// transaction that stores them; the index is contentless, so message text
// is stored once. The schema is migrated on Open by versioned migrations
// embedded in the binary, and a file written by a newer inboxkit is
// refused. The store passes storage/storetest; the query syntax accepted
// by ConversationQuery.Search is described on sqlstore.Search.
//
// To move a tenant to PostgreSQL, export it with storage/jsonl from this
// store and import it into a postgres.Store (see package jsonl).
package sqlite
