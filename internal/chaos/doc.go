// Package chaos runs inboxkit engines as separate processes against one
// PostgreSQL and one Dovecot, kills them, and checks what users rely on:
// every message stored exactly once, each mailbox synced by one instance
// at a time, and the mailboxes of a killed instance taken over within two
// lease periods.
//
// A Worker is one engine instance (Engine.Run on a postgres.Store with the
// email channel). It records each Pull it starts and finishes in the
// chaos_pulls table, and a trigger installed by InstallLogs records every
// change of the leases table in chaos_lease_log, both stamped with the
// database's clock so that processes are compared on one clock.
// Overlaps and Handovers read those logs back and report violations.
//
// The tests start the workers by running the test binary again with
// WorkerEnv set (see RunWorkerFromEnv), so a SIGKILL hits a real process
// in the middle of a sync.
//
// The same package posts hundreds of signed webhooks (custom, SMS,
// WhatsApp) to receivers on memstore, SQLite and PostgreSQL while most
// senders give up, and checks that every 2xx answer names a message
// stored exactly once and that intake never stalls.
package chaos
