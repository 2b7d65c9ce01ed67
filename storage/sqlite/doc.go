// Package sqlite is the embedded default driver.Store: one SQLite file
// (modernc.org/sqlite, pure Go, no cgo) in WAL mode with foreign keys on,
// a single writer connection and a pool of read-only readers.
//
// Messages are indexed in a contentless FTS5 table in the same transaction
// that stores them. Text is accent-folded in Go before indexing and
// querying (textfold.Words: "eleonore" finds "Éléonore", "strasse" finds
// "Straße"), the same folding the PostgreSQL store uses, and FTS5's
// unicode61 tokenizer (remove_diacritics 2) splits it. Message documents
// are compressed (S2), since SQLite does not compress values, so the file
// stays under twice the raw text. The query syntax of
// ConversationQuery.Search is described on inbox.SearchQuery.
//
// Prepared statements are kept per connection, so SQL is parsed once per
// connection rather than once per statement.
//
// The schema is migrated on Open by versioned migrations embedded in the
// binary; a file written by a newer inboxkit, a corrupt file or a file
// that is not a database is refused with an error naming the path.
//
// To move a tenant to PostgreSQL, export it with package jsonl and import
// it into a postgres.Store (see package jsonl).
package sqlite
