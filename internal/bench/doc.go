// Package bench generates realistic inbox data for store benchmarks: email
// threads between contacts and a shared inbox, 2–10 KB bodies drawn from a
// Zipf-distributed vocabulary (so some words are in most messages and
// others in a handful), accented words, and replies that thread by
// In-Reply-To. Generation is deterministic for a seed.
//
// The storebench program (internal/bench/storebench) ingests generated
// data through inbox.Engine into a SQLite or PostgreSQL store and reports
// ingest throughput, list/counter/search latencies and database size.
package bench
