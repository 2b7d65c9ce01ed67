// Package memstore is an in-memory driver.Store for tests, demos and
// single-process hosts that do not need durability.
//
// It passes the conformance suite storage/storetest, whose package
// documentation states the contract it keeps. Read-write transactions run
// one at a time under a write lock and record an undo log, so an Update
// whose function fails or panics leaves nothing behind; read-only
// transactions share a read lock. A transaction function must not start
// another transaction on the same store: it would wait for itself.
//
// Records are deep-copied on the way in and out, so callers never share
// memory with the store, and times are kept in UTC at microsecond
// precision like the SQL stores. Indexes keep the engine's hot lookups
// O(1): dedupe keys, thread keys (with their deciding holder inline),
// contact identities, provider ids, and conversations by contact and by
// subject. Conversation pages without an indexed filter scan a dense list
// and keep the first page in a bounded heap.
//
// Search folds case and the accents of Latin letters and matches
// substrings, so "probleme" finds "Problème".
package memstore
