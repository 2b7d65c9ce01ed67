// Package memstore is an in-memory inbox.Store for tests, demos and
// single-process hosts that do not need durability.
//
// It passes the conformance suite storage/storetest. Read-write
// transactions run one at a time under a write lock and record an undo
// log, so an Update whose function fails or panics leaves nothing behind;
// read-only transactions share a read lock. Records are deep-copied on the
// way in and out, so callers never share memory with the store. Indexes
// keep the engine's hot lookups O(1): dedupe keys, thread keys, contact
// identities, provider ids, and conversations by contact and by subject.
//
// Search folds case and the accents of Latin letters and matches
// substrings, so "probleme" finds "Problème".
package memstore
