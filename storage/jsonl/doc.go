// Package jsonl exports a tenant of an SQL store as JSON lines and imports
// such an export into any driver.Store.
//
// Each line is {"kind": ..., "data": ...}: the tenant first, then
// integrations, contacts, folders, conversations, messages (with their
// dedupe and thread keys), notes, tasks, follow-ups, drafts, outbox
// entries, quarantined items, audit entries and notifications, then the
// dedupe keys of deleted messages (so they are never re-imported) and the
// BlobStore keys the records refer to. IDs, contents, times and states
// survive the trip; optimistic-lock versions restart at 1.
//
// # Moving from SQLite to PostgreSQL
//
// Stop the instances writing the tenant (or accept that writes after the
// export are lost), then:
//
//	src, _ := sqlite.Open(ctx, "data/inbox.db", sqlite.Options{})
//	dst, _ := postgres.Open(ctx, dsn, postgres.Options{})
//	var buf bytes.Buffer // or a file
//	st, _ := jsonl.Export(ctx, src, "acme", &buf)
//	_, _ = jsonl.Import(ctx, dst, &buf, jsonl.ImportOptions{})
//	_ = jsonl.CopyBlobs(ctx, oldBlobs, newBlobs, st.BlobKeys)
//
// and point the instances at PostgreSQL. Repeat per tenant (ListTenants).
// Blobs only need copying when the BlobStore changes too.
package jsonl
