// Package demo seeds the reference server's demo tenant, "Maison Lumière",
// a lighting and home-decor shop: folders with AND/OR rules, email, SMS,
// WhatsApp and web-form integrations that deliver to a local sandbox,
// employee accounts, and a few dozen realistic French and English
// conversations in every status, with replies, notes, tasks, follow-ups and
// a draft waiting for approval.
//
// Seeding goes through the public inboxkit API (the Engine's tenant,
// folder and integration methods, Engine.Ingest and the agent actions),
// so the demo data is checked, threaded, classified and audited exactly
// like real traffic; only the pending AI draft, which the Engine has no
// method to create, is written to the store. It is idempotent: a tenant
// that exists is left alone.
package demo
