// Package inbox is the core of inboxkit: a shared customer inbox that a
// host application (typically a CRM) embeds.
//
// Email, SMS, WhatsApp and signed JSON webhooks arrive through channel
// adapters (package channel/...) as Inbound values. The Engine makes each
// batch durable in one transaction with the channel's sync cursor and an
// audit trail, after recognising duplicates (provider id per integration,
// Message-ID per tenant, kept even after deletion), threading every message
// into a conversation (In-Reply-To and References, Outlook Thread-Index, a
// guarded subject fallback for email; same contact and channel for phone
// channels), and linking it to a contact created on first sight. Messages a
// channel could not parse are quarantined with their reason instead of
// blocking the batch or being fetched forever.
//
// New conversations are then filed by a Classifier (rules, AI, a learner;
// see package classify), answered by a Responder when their folder asks for
// it (see package reply), and announced to subscribers as Events.
//
// Persistence is an interface, Store, with implementations in storage/...:
// an in-memory store for tests and demos, SQLite for the embedded default
// and PostgreSQL for scale-out. All of them pass the same conformance suite
// (storage/storetest). Every Store access is a transaction bound to one
// tenant, so tenants cannot see each other's data.
//
// Everything is configured through Options; nil fields get safe defaults.
// Errors wrap the sentinel errors of this package (ErrNotFound,
// ErrInvalid, ...), so callers use errors.Is.
package inbox
