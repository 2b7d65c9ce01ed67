// Package driver is the contract between the inbox engine and the stores
// that persist its records, as database/sql/driver is for database/sql.
//
// Hosts do not use this package: they open a store (storage/memstore,
// storage/sqlite, storage/postgres), pass it to inbox.New in
// inbox.Options.Store, and work through the Engine, which owns every rule —
// validation, normalisation, stamping, search semantics, audit. A store only
// persists and indexes what the engine hands it, bound to one tenant per
// transaction.
//
// A driver implements Store and the Tx it passes to Update and View, and may
// implement the optional capabilities below (the engine finds them by type
// assertion and falls back to generic code without them). Tests of a host
// or of a driver may read a store directly through Store.View.
//
// storage/storetest is the conformance suite: a new driver passes it, with
// the capabilities it declares, before it is used. The engine recognises a
// driver by its Store's Update and View, which name this package's Tx: a
// value that only looks like a store is refused by inbox.New.
package driver

import (
	"context"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/internal/txbridge"
)

func init() {
	txbridge.Is = func(store any) bool { _, ok := store.(Store); return ok }
	txbridge.Run = func(ctx context.Context, store any, tenant string, write bool, fn func(tx any) error) (bool, error) {
		s, ok := store.(Store)
		if !ok {
			return false, nil
		}
		run := s.View
		if write {
			run = s.Update
		}
		return true, run(ctx, inbox.TenantID(tenant), func(tx Tx) error { return fn(tx) })
	}
}

// Store persists everything inboxkit knows. Implementations live in
// storage/... and all pass the conformance suite storage/storetest.
//
// Every read and write of tenant data goes through a Tx bound to one tenant,
// so a caller cannot reach another tenant's records by construction; tenant
// records themselves are managed by the Store methods.
type Store interface {
	// CreateTenant stores a new tenant. inbox.ErrConflict if the id exists.
	CreateTenant(ctx context.Context, t *inbox.Tenant) error
	// UpdateTenant replaces a tenant's name and settings.
	UpdateTenant(ctx context.Context, t *inbox.Tenant) error
	// GetTenant returns inbox.ErrNotFound for an unknown id.
	GetTenant(ctx context.Context, id inbox.TenantID) (inbox.Tenant, error)
	// ListTenants returns every tenant ordered by id.
	ListTenants(ctx context.Context) ([]inbox.Tenant, error)

	// Update runs fn in a read-write transaction scoped to tenant. If fn
	// returns an error nothing it wrote is kept. inbox.ErrNotFound if the tenant
	// does not exist. The Tx must not be used after fn returns.
	Update(ctx context.Context, tenant inbox.TenantID, fn func(tx Tx) error) error
	// View runs fn in a read-only transaction scoped to tenant; every write
	// method of its Tx fails with inbox.ErrUnsupported.
	View(ctx context.Context, tenant inbox.TenantID, fn func(tx Tx) error) error

	// Features declares the optional capabilities the store offers; see
	// Features.
	Features() Features

	// Close releases the store's resources.
	Close() error
}

// Features are the optional capabilities a store declares. The engine
// uses a capability it finds; storetest runs the cases of every declared
// one, fails when a declared capability is missing or an offered one is
// not declared, and names in its log the ones a store leaves out.
type Features struct {
	// Leases: the Store is a Leaser, so several engine instances can
	// share it (without it an engine assumes it is alone).
	Leases bool
	// Knowledge: its Tx is a KnowledgeTx, so AI replies can cite the
	// tenant's documents.
	Knowledge bool
	// Stats: its Tx is a StatsTx, so statistics aggregate in the database
	// (without it the engine scans the period's records).
	Stats bool
	// ParallelWrites: the Store is a ParallelWriter.
	ParallelWrites bool
}

// Tx is a transaction bound to one tenant and to the context passed to
// Store.Update or Store.View. Records of other tenants are invisible: a
// Get of another tenant's id is inbox.ErrNotFound, never a leak.
//
// Create methods assign an ID (inbox.NewID) when it is empty, and set CreatedAt /
// UpdatedAt when zero and Version to 1. Update methods require the record's
// current Version and fail with inbox.ErrConflict when it is stale; on success
// they increment Version in the caller's value.
//
// Times come back in UTC with at least microsecond precision; query time
// bounds are compared at microseconds, and DueBefore bounds are exclusive.
// A method failing with inbox.ErrNotFound, inbox.ErrConflict or inbox.ErrInvalid leaves the
// transaction usable. The full contract, with the conformance suite that
// proves it, is in storage/storetest.
type Tx interface {
	// Tenant is the tenant this transaction is bound to.
	Tenant() inbox.TenantID

	CreateIntegration(in *inbox.Integration) error
	UpdateIntegration(in *inbox.Integration) error
	// SetIntegrationCursor stores a channel's sync position without a
	// version check, so ingest never conflicts with an admin edit.
	SetIntegrationCursor(id, cursor string) error
	// SetIntegrationStatus records the outcome of a sync run.
	SetIntegrationStatus(id, status string, report inbox.SyncReport) error
	GetIntegration(id string) (inbox.Integration, error)
	ListIntegrations() ([]inbox.Integration, error)
	DeleteIntegration(id string) error

	CreateContact(c *inbox.Contact) error
	UpdateContact(c *inbox.Contact) error
	GetContact(id string) (inbox.Contact, error)
	// FindContact returns the contact holding key's identity (its first
	// non-empty field, see inbox.ContactKey.Identity), or inbox.ErrNotFound.
	FindContact(key inbox.ContactKey) (inbox.Contact, error)
	// FindContacts is FindContact for many keys in one query, which
	// ingest uses for a whole batch. Keys without a contact are absent
	// from the result.
	FindContacts(keys []inbox.ContactKey) (map[inbox.ContactKey]inbox.Contact, error)
	ListContacts(q inbox.ContactQuery) (inbox.ContactPage, error)
	DeleteContact(id string) error

	CreateFolder(f *inbox.Folder) error
	UpdateFolder(f *inbox.Folder) error
	GetFolder(id string) (inbox.Folder, error)
	// ListFolders orders by Position, then Name.
	ListFolders() ([]inbox.Folder, error)
	// DeleteFolder leaves its conversations unfiled.
	DeleteFolder(id string) error

	CreateConversation(c *inbox.Conversation) error
	UpdateConversation(c *inbox.Conversation) error
	GetConversation(id string) (inbox.Conversation, error)
	ListConversations(q inbox.ConversationQuery) (inbox.ConversationPage, error)
	// DeleteConversation removes a conversation with its messages, notes,
	// drafts, tasks, follow-ups and outbox entries. The dedupe keys of its messages stay
	// (tombstones), so a later sync does not re-import them.
	DeleteConversation(id string) error
	// UnreadCounts counts, per folder id ("" for unfiled), the
	// conversations with Unread > 0 whose status is neither spam nor
	// archived.
	UnreadCounts() (map[string]int, error)

	// SetReadMark records one agent's own read state of a conversation
	// (unread true: unread for them, false: read), which for that agent
	// overrides Unread until ClearReadMarks. Other agents are unaffected.
	SetReadMark(conversationID, agent string, unread bool) error
	// ClearReadMarks removes every agent's mark on these conversations,
	// which then follow Unread again for everyone (a customer wrote, or
	// the read state was set for the whole team). Unknown ids are
	// ignored.
	ClearReadMarks(conversationIDs []string) error
	// ReadMarks returns agent's marks on these conversations, true for
	// marked unread; a conversation without a mark is absent.
	ReadMarks(agent string, conversationIDs []string) (map[string]bool, error)
	// ReaderUnreadCounts is UnreadCounts as one agent sees it: a
	// conversation counts when it is neither spam nor archived and is
	// unread for agent (see inbox.ReadState).
	ReaderUnreadCounts(agent string) (map[string]int, error)

	// InsertMessage stores a message with its dedupe and thread keys.
	// inbox.ErrConflict if any dedupe key is already taken in the tenant, even by
	// a deleted message.
	InsertMessage(m *inbox.Message) error
	// UpdateMessage updates read state, delivery state and content fields.
	UpdateMessage(m *inbox.Message) error
	GetMessage(id string) (inbox.Message, error)
	// GetMessageByProviderID finds a message by its channel id.
	GetMessageByProviderID(integrationID, providerID string) (inbox.Message, error)
	// ListMessages returns a conversation's messages, oldest first.
	ListMessages(conversationID string) ([]inbox.Message, error)
	// FirstInbound returns the first inbound message (in ListMessages
	// order) of each of these conversations in one query, which
	// classification reads for a batch; conversations without one are
	// absent.
	FirstInbound(conversationIDs []string) (map[string]inbox.Message, error)
	// LastInbound returns a conversation's latest inbound message without
	// reading the others (a reply's threading headers), or
	// inbox.ErrNotFound when it has none.
	LastInbound(conversationID string) (inbox.Message, error)
	// BlobRefsFrom calls fn with the BlobStore key of the raw message
	// and of each attachment of every message, and the raw key of every
	// quarantined item, whose ID sorts at or after fromID (IDs sort by
	// creation time, see inbox.NewID). A key may be reported more than
	// once. Engine.CollectOrphanBlobs tells live blobs from orphans by it.
	BlobRefsFrom(fromID string, fn func(key string) error) error
	// LookupDedupeKeys returns, for each key already taken, the id of the
	// message that took it (which may since have been deleted).
	LookupDedupeKeys(keys []string) (map[string]string, error)
	// LookupThreadKeys returns, for each key held by a stored message, the
	// conversation of the most recent such message.
	LookupThreadKeys(keys []string) (map[string]string, error)
	// MoveMessage moves a message (and its thread keys) to another
	// conversation, for merges and splits.
	MoveMessage(messageID, conversationID string) error

	CreateNote(n *inbox.Note) error
	ListNotes(conversationID string) ([]inbox.Note, error)

	CreateTask(t *inbox.Task) error
	UpdateTask(t *inbox.Task) error
	GetTask(id string) (inbox.Task, error)
	ListTasks(q inbox.TaskQuery) ([]inbox.Task, error)

	CreateFollowUp(f *inbox.FollowUp) error
	UpdateFollowUp(f *inbox.FollowUp) error
	GetFollowUp(id string) (inbox.FollowUp, error)
	ListFollowUps(q inbox.FollowUpQuery) ([]inbox.FollowUp, error)

	CreateDraft(d *inbox.Draft) error
	UpdateDraft(d *inbox.Draft) error
	GetDraft(id string) (inbox.Draft, error)
	ListDrafts(q inbox.DraftQuery) ([]inbox.Draft, error)

	// EnqueueOutbox adds a delivery job. inbox.ErrConflict if its idempotency key
	// is taken.
	EnqueueOutbox(o *inbox.OutboxItem) error
	// UpdateOutbox records an attempt's outcome (no version check: only
	// the worker holding the item writes it).
	UpdateOutbox(o *inbox.OutboxItem) error
	ListOutbox(q inbox.OutboxQuery) ([]inbox.OutboxItem, error)

	// PutWork enqueues background work. An item of the same Kind and Key
	// is replaced in place: Payload and NotBefore from w, Generation
	// raised, Attempts, LastError and Failed reset, its claim kept. On
	// return w holds the stored item.
	PutWork(w *inbox.WorkItem) error
	// ListWork returns matching items, earliest NotBefore first.
	ListWork(q inbox.WorkQuery) ([]inbox.WorkItem, error)
	// ClaimWork takes an item for owner until until, if it is unclaimed
	// or its claim expired at now, and reports whether it did. Stores
	// make the check and the write one atomic step, so two workers never
	// both claim an item.
	ClaimWork(id, owner string, now, until time.Time) (bool, error)
	// UpdateWork records a run's outcome: Attempts, LastError, NotBefore,
	// Failed and the claim (no version check: only the claim holder
	// writes).
	UpdateWork(w *inbox.WorkItem) error
	// DeleteWork removes a finished item if it is still at generation,
	// and reports whether it did; a newer generation stays to run again.
	DeleteWork(id string, generation int64) (bool, error)

	// AddCount adds n to the counter key of the time window starting at
	// window and returns the new total (n = 0 reads it). Counters serve
	// rate limits (auto-replies per mailbox, domain and integration);
	// stores may drop windows older than MaxCountAge.
	AddCount(key string, window time.Time, n int) (int, error)

	AddQuarantine(q *inbox.QuarantineItem) error
	UpdateQuarantine(q *inbox.QuarantineItem) error
	GetQuarantine(id string) (inbox.QuarantineItem, error)
	// ListQuarantine returns items newest first.
	ListQuarantine(q inbox.QuarantineQuery) ([]inbox.QuarantineItem, error)

	// AppendAudit adds entries; there is no way to change or remove them.
	AppendAudit(entries ...inbox.AuditEntry) error
	// ListAudit returns entries newest first.
	ListAudit(q inbox.AuditQuery) ([]inbox.AuditEntry, error)

	CreateNotification(n *inbox.Notification) error
	ListNotifications(q inbox.NotificationQuery) ([]inbox.Notification, error)
	MarkNotificationRead(id string, at time.Time) error
}

// ParallelWriter is an optional Store capability: how many write
// transactions of one tenant are worth running at once. IngestOne spreads a
// tenant's requests over that many group-commit lanes, a customer's always
// on the same one; without it, one (stores that serialise writers, like
// SQLite, gain nothing from more). Concurrent transactions must already be
// safe: ingest retries a batch that lost a race on a key or a version.
type ParallelWriter interface {
	ParallelWrites() int
}

// Leaser is an optional Store capability: named, expiring leases shared by
// every engine instance using the store, so a mailbox is synced by one
// instance at a time and a crashed instance's work is taken over when its
// lease expires. Without it the engine assumes it is alone.
type Leaser interface {
	// AcquireLease takes the lease name for holder until now+ttl, or
	// renews it if holder already has it. It returns false, without error,
	// when another holder has an unexpired lease.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease gives the lease up if holder has it.
	ReleaseLease(ctx context.Context, name, holder string) error
}

// StatsTx is an optional Tx capability: stores that can aggregate in the
// database implement it and statistics stay fast on millions of messages.
// Other stores are served by a generic scan.
type StatsTx interface {
	// MessageVolume counts messages created in [q.From, q.To) by period
	// (in loc), source, conversation folder and direction.
	MessageVolume(q inbox.StatsQuery, loc *time.Location) ([]inbox.VolumePoint, error)
	// ConversationGroups returns the conversations created in [q.From,
	// q.To) grouped as inbox.GroupFacts groups their facts (periods in
	// loc), with the same counts and durations; groups may come in any
	// order, and groups of no conversation are ignored.
	ConversationGroups(q inbox.StatsQuery, loc *time.Location) ([]inbox.ConversationGroup, error)
}

// KnowledgeTx is an optional Tx capability: a knowledge base indexed in
// the store's full-text index. Stores that implement it let AI replies
// cite the tenant's documents.
type KnowledgeTx interface {
	// PutKnowledgeDoc creates or replaces a document together with its
	// chunks (the previous chunks are removed).
	PutKnowledgeDoc(d *inbox.KnowledgeDoc, chunks []inbox.KnowledgeChunk) error
	GetKnowledgeDoc(id string) (inbox.KnowledgeDoc, error)
	// ListKnowledgeDocs orders by title.
	ListKnowledgeDocs() ([]inbox.KnowledgeDoc, error)
	// DeleteKnowledgeDoc removes a document and its chunks.
	DeleteKnowledgeDoc(id string) error
	// SearchKnowledge returns up to limit chunks matching any word of
	// query (case- and accent-insensitive), best first.
	SearchKnowledge(query string, limit int) ([]inbox.KnowledgeHit, error)
}
