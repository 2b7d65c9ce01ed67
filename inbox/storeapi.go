package inbox

import (
	"context"
	"fmt"
	"time"

	"github.com/inboxkit/inboxkit/inbox/internal/txbridge"
)

// Store is a storage driver as a host holds it: open one with
// storage/memstore, storage/sqlite or storage/postgres, pass it in
// Options.Store and close it after the engine. Its records are reached
// through the Engine; drivers implement driver.Store (package
// inbox/driver), and New rejects any other value.
type Store interface {
	Close() error
}

// The engine's view of package driver's interfaces. Package driver
// imports this package for the records it carries, so this package cannot
// name driver.Tx; these are the same method sets, unexported, and a test
// (TestDriverContractMatchesEngineView) fails when the two differ. The
// documented contract is in package driver.

type storeAPI interface {
	CreateTenant(ctx context.Context, t *Tenant) error
	UpdateTenant(ctx context.Context, t *Tenant) error
	GetTenant(ctx context.Context, id TenantID) (Tenant, error)
	ListTenants(ctx context.Context) ([]Tenant, error)
	Close() error
}

type storeTx interface {
	Tenant() TenantID
	CreateIntegration(in *Integration) error
	UpdateIntegration(in *Integration) error
	SetIntegrationCursor(id, cursor string) error
	SetIntegrationStatus(id, status string, report SyncReport) error
	GetIntegration(id string) (Integration, error)
	ListIntegrations() ([]Integration, error)
	DeleteIntegration(id string) error
	CreateContact(c *Contact) error
	UpdateContact(c *Contact) error
	GetContact(id string) (Contact, error)
	FindContact(key ContactKey) (Contact, error)
	FindContacts(keys []ContactKey) (map[ContactKey]Contact, error)
	ListContacts(q ContactQuery) (ContactPage, error)
	DeleteContact(id string) error
	CreateFolder(f *Folder) error
	UpdateFolder(f *Folder) error
	GetFolder(id string) (Folder, error)
	ListFolders() ([]Folder, error)
	DeleteFolder(id string) error
	CreateConversation(c *Conversation) error
	UpdateConversation(c *Conversation) error
	GetConversation(id string) (Conversation, error)
	ListConversations(q ConversationQuery) (ConversationPage, error)
	DeleteConversation(id string) error
	UnreadCounts() (map[string]int, error)
	SetReadMark(conversationID, agent string, unread bool) error
	ClearReadMarks(conversationIDs []string) error
	ReadMarks(agent string, conversationIDs []string) (map[string]bool, error)
	ReaderUnreadCounts(agent string) (map[string]int, error)
	InsertMessage(m *Message) error
	UpdateMessage(m *Message) error
	GetMessage(id string) (Message, error)
	GetMessageByProviderID(integrationID, providerID string) (Message, error)
	ListMessages(conversationID string) ([]Message, error)
	FirstInbound(conversationIDs []string) (map[string]Message, error)
	LastInbound(conversationID string) (Message, error)
	BlobRefsFrom(fromID string, fn func(key string) error) error
	LookupDedupeKeys(keys []string) (map[string]string, error)
	LookupThreadKeys(keys []string) (map[string]string, error)
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
	EnqueueOutbox(o *OutboxItem) error
	UpdateOutbox(o *OutboxItem) error
	ListOutbox(q OutboxQuery) ([]OutboxItem, error)
	PutWork(w *WorkItem) error
	ListWork(q WorkQuery) ([]WorkItem, error)
	ClaimWork(id, owner string, now, until time.Time) (bool, error)
	UpdateWork(w *WorkItem) error
	DeleteWork(id string, generation int64) (bool, error)
	AddCount(key string, window time.Time, n int) (int, error)
	AddQuarantine(q *QuarantineItem) error
	UpdateQuarantine(q *QuarantineItem) error
	GetQuarantine(id string) (QuarantineItem, error)
	ListQuarantine(q QuarantineQuery) ([]QuarantineItem, error)
	AppendAudit(entries ...AuditEntry) error
	ListAudit(q AuditQuery) ([]AuditEntry, error)
	CreateNotification(n *Notification) error
	ListNotifications(q NotificationQuery) ([]Notification, error)
	MarkNotificationRead(id string, at time.Time) error
}

type parallelWriter interface {
	ParallelWrites() int
}

type leaser interface {
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

type statsTx interface {
	MessageVolume(q StatsQuery, loc *time.Location) ([]VolumePoint, error)
	ConversationGroups(q StatsQuery, loc *time.Location) ([]ConversationGroup, error)
}

// updateTx runs fn in a read-write transaction of tenant (driver.Store.Update).
func (e *Engine) updateTx(ctx context.Context, tenant TenantID, fn func(tx storeTx) error) error {
	return runTx(ctx, e.store, tenant, true, fn)
}

// viewTx runs fn in a read-only transaction of tenant (driver.Store.View).
func (e *Engine) viewTx(ctx context.Context, tenant TenantID, fn func(tx storeTx) error) error {
	return runTx(ctx, e.store, tenant, false, fn)
}

func runTx(ctx context.Context, s storeAPI, tenant TenantID, write bool, fn func(tx storeTx) error) error {
	ok, err := txbridge.Run(ctx, s, string(tenant), write, func(tx any) error { return fn(tx.(storeTx)) })
	if !ok {
		return fmt.Errorf("%w: store %T does not implement driver.Store", ErrUnsupported, s)
	}
	return err
}

// isDriverStore reports whether s implements driver.Store.
func isDriverStore(s Store) bool {
	_, ok := s.(storeAPI)
	return ok && txbridge.Is != nil && txbridge.Is(s)
}
