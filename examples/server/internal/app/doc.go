// Package app composes the reference server from public inboxkit
// packages: the store (SQLite by default, memory on request), blob
// directory, secret sealer, classifier chain, engine, channel webhooks,
// accounts, REST API and web UI. main parses flags into a Config; tests
// build the same App on a temporary directory.
package app
