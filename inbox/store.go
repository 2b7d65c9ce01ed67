package inbox

import (
	"context"
	"time"
)

// Store persists everything inboxkit knows. Implementations live in
// storage/... and all pass the conformance suite storage/storetest.
//
// Every read and write of tenant data goes through a Tx bound to one tenant,
// so a caller cannot reach another tenant's records by construction; tenant
// records themselves are managed by the Store methods.
type Store interface {
	// CreateTenant stores a new tenant. ErrConflict if the id exists.
	CreateTenant(ctx context.Context, t *Tenant) error
	// UpdateTenant replaces a tenant's name and settings.
	UpdateTenant(ctx context.Context, t *Tenant) error
	// GetTenant returns ErrNotFound for an unknown id.
	GetTenant(ctx context.Context, id TenantID) (Tenant, error)
	// ListTenants returns every tenant ordered by id.
	ListTenants(ctx context.Context) ([]Tenant, error)

	// Update runs fn in a read-write transaction scoped to tenant. If fn
	// returns an error nothing it wrote is kept. ErrNotFound if the tenant
	// does not exist. The Tx must not be used after fn returns.
	Update(ctx context.Context, tenant TenantID, fn func(tx Tx) error) error
	// View runs fn in a read-only transaction scoped to tenant; every write
	// method of its Tx fails with ErrUnsupported.
	View(ctx context.Context, tenant TenantID, fn func(tx Tx) error) error

	// Close releases the store's resources.
	Close() error
}

// Tx is a transaction bound to one tenant and to the context passed to
// Store.Update or Store.View. Records of other tenants are invisible: a
// Get of another tenant's id is ErrNotFound, never a leak.
//
// Create methods assign an ID (NewID) when it is empty, and set CreatedAt /
// UpdatedAt when zero and Version to 1. Update methods require the record's
// current Version and fail with ErrConflict when it is stale; on success
// they increment Version in the caller's value.
//
// Times come back in UTC with at least microsecond precision; query time
// bounds are compared at microseconds, and DueBefore bounds are exclusive.
// A method failing with ErrNotFound, ErrConflict or ErrInvalid leaves the
// transaction usable. The full contract, with the conformance suite that
// proves it, is in storage/storetest.
type Tx interface {
	// Tenant is the tenant this transaction is bound to.
	Tenant() TenantID

	CreateIntegration(in *Integration) error
	UpdateIntegration(in *Integration) error
	// SetIntegrationCursor stores a channel's sync position without a
	// version check, so ingest never conflicts with an admin edit.
	SetIntegrationCursor(id, cursor string) error
	// SetIntegrationStatus records the outcome of a sync run.
	SetIntegrationStatus(id, status string, report SyncReport) error
	GetIntegration(id string) (Integration, error)
	ListIntegrations() ([]Integration, error)
	DeleteIntegration(id string) error

	CreateContact(c *Contact) error
	UpdateContact(c *Contact) error
	GetContact(id string) (Contact, error)
	// FindContact returns the contact holding key's identity (its first
	// non-empty field, see ContactKey.Identity), or ErrNotFound.
	FindContact(key ContactKey) (Contact, error)
	ListContacts(q ContactQuery) (ContactPage, error)
	DeleteContact(id string) error

	CreateFolder(f *Folder) error
	UpdateFolder(f *Folder) error
	GetFolder(id string) (Folder, error)
	// ListFolders orders by Position, then Name.
	ListFolders() ([]Folder, error)
	// DeleteFolder leaves its conversations unfiled.
	DeleteFolder(id string) error

	CreateConversation(c *Conversation) error
	UpdateConversation(c *Conversation) error
	GetConversation(id string) (Conversation, error)
	ListConversations(q ConversationQuery) (ConversationPage, error)
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
	// unread for agent (see ReadState).
	ReaderUnreadCounts(agent string) (map[string]int, error)

	// InsertMessage stores a message with its dedupe and thread keys.
	// ErrConflict if any dedupe key is already taken in the tenant, even by
	// a deleted message.
	InsertMessage(m *Message) error
	// UpdateMessage updates read state, delivery state and content fields.
	UpdateMessage(m *Message) error
	GetMessage(id string) (Message, error)
	// GetMessageByProviderID finds a message by its channel id.
	GetMessageByProviderID(integrationID, providerID string) (Message, error)
	// ListMessages returns a conversation's messages, oldest first.
	ListMessages(conversationID string) ([]Message, error)
	// LookupDedupeKeys returns, for each key already taken, the id of the
	// message that took it (which may since have been deleted).
	LookupDedupeKeys(keys []string) (map[string]string, error)
	// LookupThreadKeys returns, for each key held by a stored message, the
	// conversation of the most recent such message.
	LookupThreadKeys(keys []string) (map[string]string, error)
	// MoveMessage moves a message (and its thread keys) to another
	// conversation, for merges and splits.
	MoveMessage(messageID, conversationID string) error

	CreateNote(n *Note) error
	ListNotes(conversationID string) ([]Note, error)

	CreateTask(t *Task) error
	UpdateTask(t *Task) error
	GetTask(id string) (Task, error)
	ListTasks(q TaskQuery) ([]Task, error)

	CreateFollowUp(f *FollowUp) error
	UpdateFollowUp(f *FollowUp) error
	GetFollowUp(id string) (FollowUp, error)
	ListFollowUps(q FollowUpQuery) ([]FollowUp, error)

	CreateDraft(d *Draft) error
	UpdateDraft(d *Draft) error
	GetDraft(id string) (Draft, error)
	ListDrafts(q DraftQuery) ([]Draft, error)

	// EnqueueOutbox adds a delivery job. ErrConflict if its idempotency key
	// is taken.
	EnqueueOutbox(o *OutboxItem) error
	// UpdateOutbox records an attempt's outcome (no version check: only
	// the worker holding the item writes it).
	UpdateOutbox(o *OutboxItem) error
	ListOutbox(q OutboxQuery) ([]OutboxItem, error)

	// PutWork enqueues background work. An item of the same Kind and Key
	// is replaced in place: Payload and NotBefore from w, Generation
	// raised, Attempts, LastError and Failed reset, its claim kept. On
	// return w holds the stored item.
	PutWork(w *WorkItem) error
	// ListWork returns matching items, earliest NotBefore first.
	ListWork(q WorkQuery) ([]WorkItem, error)
	// ClaimWork takes an item for owner until until, if it is unclaimed
	// or its claim expired at now, and reports whether it did. Stores
	// make the check and the write one atomic step, so two workers never
	// both claim an item.
	ClaimWork(id, owner string, now, until time.Time) (bool, error)
	// UpdateWork records a run's outcome: Attempts, LastError, NotBefore,
	// Failed and the claim (no version check: only the claim holder
	// writes).
	UpdateWork(w *WorkItem) error
	// DeleteWork removes a finished item if it is still at generation,
	// and reports whether it did; a newer generation stays to run again.
	DeleteWork(id string, generation int64) (bool, error)

	// AddCount adds n to the counter key of the time window starting at
	// window and returns the new total (n = 0 reads it). Counters serve
	// rate limits (auto-replies per mailbox, domain and integration);
	// stores may drop windows older than MaxCountAge.
	AddCount(key string, window time.Time, n int) (int, error)

	AddQuarantine(q *QuarantineItem) error
	UpdateQuarantine(q *QuarantineItem) error
	GetQuarantine(id string) (QuarantineItem, error)
	// ListQuarantine returns items newest first.
	ListQuarantine(q QuarantineQuery) ([]QuarantineItem, error)

	// AppendAudit adds entries; there is no way to change or remove them.
	AppendAudit(entries ...AuditEntry) error
	// ListAudit returns entries newest first.
	ListAudit(q AuditQuery) ([]AuditEntry, error)

	CreateNotification(n *Notification) error
	ListNotifications(q NotificationQuery) ([]Notification, error)
	MarkNotificationRead(id string, at time.Time) error
}

// MaxCountAge is how long stores keep a counter window (Tx.AddCount).
const MaxCountAge = 8 * 24 * time.Hour

// ParallelWriter is an optional Store capability: how many write
// transactions of one tenant are worth running at once. IngestOne spreads a
// tenant's requests over that many group-commit lanes, a customer's always
// on the same one; without it, one (stores that serialise writers, like
// SQLite, gain nothing from more). Concurrent transactions must already be
// safe: ingest retries a batch that lost a race on a key or a version.
type ParallelWriter interface {
	ParallelWrites() int
}

// ContactsFinder is an optional Tx capability: FindContact for many keys
// in one query, which ingest uses for a whole batch. Keys without a
// contact are absent from the result.
type ContactsFinder interface {
	FindContacts(keys []ContactKey) (map[ContactKey]Contact, error)
}

// ContactKey identifies a contact by one of its identities; the first
// non-empty field counts (see Identity).
type ContactKey struct {
	Email      string
	Phone      string
	Handle     string // a channel handle, see ContactHandle
	ExternalID string
}

// ContactQuery lists contacts. Search matches name, emails and phones
// case-insensitively.
type ContactQuery struct {
	Search string
	Limit  int // 0 means 50
	Cursor string
}

// ContactPage is one page of contacts ordered by name then id.
type ContactPage struct {
	Items      []Contact
	NextCursor string
}

// Unfiled is the FolderID filter value selecting conversations without a
// folder; Unassigned likewise for Assignee.
const (
	Unfiled    = "-"
	Unassigned = "-"
)

// Sort orders a conversation list.
type Sort string

// Sort orders. Every order ends with the id so pagination is stable.
const (
	SortNewest   Sort = ""         // LastMessageAt descending
	SortOldest   Sort = "oldest"   // LastMessageAt ascending
	SortPriority Sort = "priority" // Status.Priority, then newest
	SortStatus   Sort = "status"   // workflow order (Status.Priority), then newest
	// SortQueue is the work queue: QueueRank (open work by priority, then
	// snoozed, resolved, archived, spam), then the longest waiting first
	// (LastMessageAt ascending).
	SortQueue Sort = "queue"
)

// ConversationQuery filters, sorts and pages conversations. Zero fields do
// not filter.
type ConversationQuery struct {
	FolderID string // a folder id, or Unfiled
	Statuses []Status
	Sources  []Source
	Assignee string // an employee id, or Unassigned
	// UnreadOnly keeps conversations with unread messages that are
	// neither spam nor archived: the set UnreadCounts counts, so a badge
	// and the list it opens always agree.
	UnreadOnly bool
	// Reader, an agent id, makes UnreadOnly and is:unread follow that
	// agent's read state (ReadState), the set ReaderUnreadCounts counts;
	// Engine.Conversations then also fills ConversationPage.ReaderUnread.
	Reader string
	// OpenWork keeps conversations waiting for an agent: new, open or
	// urgent and not snoozed (QueueRank below RankOpenWork).
	OpenWork  bool
	Tag       string
	Intent    Intent
	ContactID string
	// ContactIDs, when not empty, keeps the conversations of these
	// contacts (a search by phone number resolves to them).
	ContactIDs    []string
	IntegrationID string
	// ProjectID keeps the conversations of a project: linked to it
	// (Conversation.ProjectID) or holding one of its tasks.
	ProjectID string
	// ThreadSubject selects conversations with this normalized subject.
	ThreadSubject string
	// Since / Until bound LastMessageAt (Since inclusive, Until exclusive).
	Since, Until time.Time
	// Search matches subject, message text and sender.
	Search string
	Sort   Sort
	Limit  int // 0 means 50; at most 500
	// Cursor continues a previous page (ConversationPage.NextCursor).
	Cursor string
	// WithTotal asks for ConversationPage.Total.
	WithTotal bool
}

// ConversationPage is one page of a conversation list.
type ConversationPage struct {
	Items      []Conversation
	NextCursor string // "" on the last page
	// Total counts the conversations of every page, when the query asked
	// for it (WithTotal): exact when TotalExact (up to MaxExactTotal),
	// otherwise an estimate (a frequent search word, a longer list).
	Total      int
	TotalExact bool
	// ReaderUnread holds, when the query named a Reader, the listed
	// conversations that are unread for that agent (Engine.Conversations
	// fills it; stores leave it nil).
	ReaderUnread map[string]bool
}

// MaxExactTotal is how far stores count a list's total exactly.
const MaxExactTotal = 1000

// TaskQuery filters tasks.
type TaskQuery struct {
	ConversationID string
	ProjectID      string
	Assignee       string
	OpenOnly       bool
}

// FollowUpQuery filters follow-ups.
type FollowUpQuery struct {
	ConversationID string
	// ConversationIDs, when not empty, keeps the follow-ups of these
	// conversations only (ingest asks for a whole batch at once).
	ConversationIDs []string
	Status          FollowUpStatus
	DueBefore       time.Time // zero = no bound
}

// DraftQuery filters drafts.
type DraftQuery struct {
	ConversationID string
	Status         DraftStatus
}

// OutboxQuery filters outbox entries, oldest NextAttemptAt first.
type OutboxQuery struct {
	Status    OutboxStatus
	DueBefore time.Time // zero = no bound
	MessageID string
	Limit     int // 0 = no limit
}

// QuarantineQuery filters quarantined items.
type QuarantineQuery struct {
	IntegrationID   string
	Key             string // the item with this QuarantineItem.Key
	IncludeReplayed bool
	Limit           int // 0 means 50
}

// AuditQuery filters the audit log.
type AuditQuery struct {
	ConversationID string
	EntityID       string
	Since, Until   time.Time
	Limit          int // 0 means 100
}

// NotificationQuery filters a user's notifications, newest first.
type NotificationQuery struct {
	UserID     string
	UnreadOnly bool
	Limit      int // 0 means 50
}
