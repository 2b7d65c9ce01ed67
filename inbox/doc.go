// Package inbox is the core of inboxkit: a shared customer inbox that a
// host application (typically a CRM) embeds.
//
// # Intake
//
// Email, SMS, WhatsApp, signed JSON webhooks and a host's own channel kinds
// arrive through channel adapters (package channel/..., or the host's own
// ChannelFactory registered under a kind name in Options.Channels) as
// Inbound values. The Engine makes each batch durable in one transaction
// with the channel's sync cursor and an audit trail, after cleaning its
// text (CleanText), recognising duplicates (provider id per integration,
// Message-ID per tenant, kept even after deletion), threading every message
// into a conversation (In-Reply-To and References, Outlook Thread-Index, a
// guarded subject fallback for email; same contact and channel for the
// others) and linking it to a contact: a sender's identities (address,
// number, channel handle) find their contact in that order, and a conflict
// between two contacts is recorded, never an error. Messages a channel
// could not parse are quarantined once, with their reason, instead of
// blocking the batch or being fetched forever.
//
// # Background work
//
// Intake answers at once. What is slow — classification by a model, the
// generation of auto-replies, linking new contacts to the host's CRM — is
// written as WorkItems in the intake transaction and run by Run (or
// DoWork) with retries and backoff, so a crash loses none of it and repeats
// none that was committed. Fast classifiers (folder rules, the learner)
// file conversations on the request path; see DeferredClassifier.
// Background work never refuses an agent's action: Change.Version is
// checked against the changes an agent must see (Conversation.ChangedVersion).
// It never fights intake either: classification waits while a mailbox
// syncs (and at most 10 s behind webhooks that never pause), and its
// writes carry BackgroundContext, which a store with one writer (SQLite)
// lets intake and agents pass.
//
// # The host API
//
// A host uses the Engine alone for ordinary work: tenants and integrations
// (CreateTenant, CreateIntegration with settings checked against the
// kind's IntegrationSchema and secrets sealed), lists (Conversations with
// the search syntax of SearchQuery, Messages, Contacts, Tasks, FollowUps,
// Drafts, Quarantine, Audit), agent actions (Reply, SetStatus, Assign,
// Move, AddNote, CreateTask, ScheduleFollowUp, ApproveDraft, Merge...),
// Stats, and Subscribe for Events. A missing record is a *NotFoundError
// naming it; every error wraps a sentinel (ErrNotFound, ErrInvalid,
// ErrConflict, ...) for errors.Is. Package inbox/inboxtest gives a host's
// tests a ready engine with a fake clock, a recording channel and an event
// recorder.
//
// # Stores
//
// A host opens a store from storage/...: an in-memory store for tests and
// demos, SQLite for the embedded default and PostgreSQL for scale-out, and
// passes it in Options.Store; every read and write then goes through the
// Engine. All stores pass the same conformance suite (storage/storetest),
// so a host's tests on memstore predict production. The engine owns the
// rules (validation, text folding with inbox/textfold, search parsing,
// identity keys, stamping, audit); stores persist and index.
//
// The contract between the engine and a store is package inbox/driver, as
// database/sql/driver is for database/sql: hosts do not need it. Every
// store access is a transaction bound to one tenant, so tenants cannot see
// each other's data.
//
// Everything is configured through Options; nil fields get safe defaults.
package inbox
