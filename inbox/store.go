package inbox

import (
	"time"
)

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
