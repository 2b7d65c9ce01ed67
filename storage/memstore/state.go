package memstore

import "github.com/inboxkit/inboxkit/inbox"

// tenantState holds one tenant's records and the indexes that make the
// engine's lookups O(1). Record values are never mutated once stored: a
// change stores a new value (or pointer), which is what makes the undo
// log and the copies handed out cheap and safe.
type tenantState struct {
	tenant inbox.Tenant

	integrations map[string]inbox.Integration
	contacts     map[string]inbox.Contact
	// identities maps "e:"+email, "p:"+phone and "x:"+external id to the
	// contact holding it.
	identities map[string]string
	folders    map[string]inbox.Folder

	conversations map[string]*conversation
	byContact     map[string]idSet // contact id -> conversation ids
	bySubject     map[string]idSet // thread subject -> conversation ids

	messages     map[string]*message
	convMessages map[string][]string      // conversation id -> message ids
	byProvider   map[providerKey][]string // (integration, provider id) -> message ids
	dedupe       map[string]string        // dedupe key -> message id, kept after deletion
	threadKeys   map[string][]string      // thread key -> ids of messages holding it

	notes     map[string]inbox.Note
	convNotes map[string][]string
	tasks     map[string]inbox.Task
	followUps map[string]inbox.FollowUp
	drafts    map[string]inbox.Draft
	// conversation id -> ids of its tasks, follow-ups and drafts, for
	// cascading deletes and per-conversation lists.
	convTasks, convFollowUps, convDrafts map[string]idSet

	outbox      map[string]inbox.OutboxItem
	idempotency map[string]string // idempotency key -> outbox id

	quarantine map[string]inbox.QuarantineItem

	audit    []inbox.AuditEntry // append order
	auditIDs map[string]struct{}

	notifications map[string]inbox.Notification
}

// providerKey identifies a message by its channel id.
type providerKey struct{ integration, provider string }

// conversation is a stored conversation with its folded subject for search.
type conversation struct {
	inbox.Conversation
	subject string
}

// message is a stored message with its folded search text.
type message struct {
	inbox.Message
	search string
}

func newTenantState(t inbox.Tenant) *tenantState {
	return &tenantState{
		tenant:        t,
		integrations:  map[string]inbox.Integration{},
		contacts:      map[string]inbox.Contact{},
		identities:    map[string]string{},
		folders:       map[string]inbox.Folder{},
		conversations: map[string]*conversation{},
		byContact:     map[string]idSet{},
		bySubject:     map[string]idSet{},
		messages:      map[string]*message{},
		convMessages:  map[string][]string{},
		byProvider:    map[providerKey][]string{},
		dedupe:        map[string]string{},
		threadKeys:    map[string][]string{},
		notes:         map[string]inbox.Note{},
		convNotes:     map[string][]string{},
		tasks:         map[string]inbox.Task{},
		followUps:     map[string]inbox.FollowUp{},
		drafts:        map[string]inbox.Draft{},
		convTasks:     map[string]idSet{},
		convFollowUps: map[string]idSet{},
		convDrafts:    map[string]idSet{},
		outbox:        map[string]inbox.OutboxItem{},
		idempotency:   map[string]string{},
		quarantine:    map[string]inbox.QuarantineItem{},
		auditIDs:      map[string]struct{}{},
		notifications: map[string]inbox.Notification{},
	}
}
