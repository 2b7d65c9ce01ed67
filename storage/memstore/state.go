package memstore

import (
	"slices"
	"sync/atomic"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/textfold"
)

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
	scan          []convRef           // every conversation, unordered (scan.go)
	scanPos       map[string]int      // conversation id -> index in scan
	byContact     map[string][]string // contact id -> conversation ids
	bySubject     map[string][]string // thread subject -> conversation ids

	messages     map[string]*message
	convMessages map[string][]string      // conversation id -> message ids
	byProvider   map[providerKey][]string // (integration, provider id) -> message ids
	dedupe       map[string]string        // dedupe key -> message id, kept after deletion
	// threadKeys maps a thread key to its deciding holder (the message with
	// the greatest CreatedAt, ID) inline, so a lookup touches one map slot;
	// sharedKeys lists every holder of the rare keys held by several.
	threadKeys map[string]threadHolder
	sharedKeys map[string][]threadHolder

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

	work      map[string]inbox.WorkItem
	workByKey map[workKey]string

	counts map[countKey]int

	// audit holds entries in append order, in fixed-size chunks so the log
	// grows without copying.
	audit    [][]inbox.AuditEntry
	auditIDs map[string]struct{}

	notifications map[string]inbox.Notification

	// readMarks holds agents' own read state, per agent and conversation
	// (true: unread for them), so one agent's marks are read without
	// looking at anyone else's; convMarks lists, per conversation, the
	// agents holding a mark.
	readMarks map[string]map[string]bool
	convMarks map[string]idSet

	// knowledge is the tenant's knowledge base (knowledge.go), created on
	// first use.
	knowledge *knowledgeIndex
}

// providerKey identifies a message by its channel id.
type providerKey struct{ integration, provider string }

// threadHolder is a message holding a thread key.
type threadHolder struct {
	message, conversation string
	created               int64 // CreatedAt, Unix microseconds
}

// after reports whether h decides over o: greater CreatedAt, then ID.
func (h threadHolder) after(o threadHolder) bool {
	if h.created != o.created {
		return h.created > o.created
	}
	return h.message > o.message
}

// conversation is a stored conversation.
type conversation struct {
	inbox.Conversation
}

// message is a stored message. Its search tokens are computed by the
// first search that needs them, not at ingest, and cached: the record is
// otherwise immutable, so the cache never goes stale.
type message struct {
	inbox.Message
	search atomic.Pointer[searchTokens]
}

// searchTokens are the folded words of a message (subject, text, sender)
// and of its sender alone, as a full-text index holds them.
type searchTokens struct {
	words, sender []string
}

// searchTokens returns m's indexed words and its sender's words.
func (m *message) searchTokens() (words, sender []string) {
	if p := m.search.Load(); p != nil {
		return p.words, p.sender
	}
	d := inbox.SearchDocumentOf(&m.Message)
	st := &searchTokens{sender: textfold.Tokens(d.Sender)}
	st.words = append(append(textfold.Tokens(d.Subject), textfold.Tokens(d.Body)...), st.sender...)
	slices.Sort(st.words)
	st.words = slices.Compact(st.words)
	m.search.Store(st)
	return st.words, st.sender
}

func newTenantState(t inbox.Tenant) *tenantState {
	return &tenantState{
		tenant:        t,
		integrations:  map[string]inbox.Integration{},
		contacts:      map[string]inbox.Contact{},
		identities:    map[string]string{},
		folders:       map[string]inbox.Folder{},
		conversations: map[string]*conversation{},
		scanPos:       map[string]int{},
		byContact:     map[string][]string{},
		bySubject:     map[string][]string{},
		messages:      map[string]*message{},
		convMessages:  map[string][]string{},
		byProvider:    map[providerKey][]string{},
		dedupe:        map[string]string{},
		threadKeys:    map[string]threadHolder{},
		sharedKeys:    map[string][]threadHolder{},
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
		work:          map[string]inbox.WorkItem{},
		workByKey:     map[workKey]string{},
		counts:        map[countKey]int{},
		auditIDs:      map[string]struct{}{},
		notifications: map[string]inbox.Notification{},
		readMarks:     map[string]map[string]bool{},
		convMarks:     map[string]idSet{},
	}
}
