package inbox

import (
	"slices"
	"time"
)

// Status is a conversation's state. inboxkit knows exactly the product's
// six statuses.
type Status string

// The six statuses.
const (
	StatusNew      Status = "new"      // unread, nobody has handled it yet
	StatusOpen     Status = "open"     // being handled ("en cours")
	StatusResolved Status = "resolved" // answered and solved
	StatusArchived Status = "archived" // finished; new messages start a new conversation
	StatusSpam     Status = "spam"     // unwanted
	StatusUrgent   Status = "urgent"   // needs attention now
)

// Statuses lists the six statuses in workflow order.
var Statuses = []Status{StatusNew, StatusOpen, StatusUrgent, StatusResolved, StatusArchived, StatusSpam}

// Valid reports whether s is one of the six statuses.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Closed reports whether new customer messages should reopen the
// conversation (resolved) or start another one (archived).
func (s Status) Closed() bool { return s == StatusResolved || s == StatusArchived }

// Priority orders statuses for the "priority" sort: urgent first, then new,
// open, resolved, archived, spam.
func (s Status) Priority() int {
	switch s {
	case StatusUrgent:
		return 0
	case StatusNew:
		return 1
	case StatusOpen:
		return 2
	case StatusResolved:
		return 3
	case StatusArchived:
		return 4
	case StatusSpam:
		return 5
	}
	return 6
}

// Priority ranks open work in the queue. The zero value is normal.
// Classifiers' urgency maps to it (PriorityOf); agents set it.
type Priority string

// The four priorities, most pressing first.
const (
	PriorityUrgent Priority = "urgent"
	PriorityHigh   Priority = "high"
	PriorityNormal Priority = "normal"
	PriorityLow    Priority = "low"
)

// Priorities lists the four priorities, most pressing first.
var Priorities = []Priority{PriorityUrgent, PriorityHigh, PriorityNormal, PriorityLow}

// Valid reports whether p is "" (normal) or one of Priorities.
func (p Priority) Valid() bool { return p == "" || slices.Contains(Priorities, p) }

// Level is p's position in Priorities: 0 for urgent … 3 for low; "" is
// normal.
func (p Priority) Level() int {
	if i := slices.Index(Priorities, p); i >= 0 {
		return i
	}
	return 2
}

// PriorityOf maps a classifier's urgency to a queue priority: high
// urgency is high priority, low is low, anything else normal.
func PriorityOf(u Urgency) Priority {
	switch u {
	case UrgencyHigh:
		return PriorityHigh
	case UrgencyLow:
		return PriorityLow
	}
	return PriorityNormal
}

// EffectivePriority is the conversation's priority as the queue sees it:
// the urgent status counts as urgent priority.
func (c *Conversation) EffectivePriority() Priority {
	if c.Status == StatusUrgent {
		return PriorityUrgent
	}
	if c.Priority == "" {
		return PriorityNormal
	}
	return c.Priority
}

// OpenWork reports whether the conversation waits for an agent: new,
// open or urgent, and not snoozed.
func (c *Conversation) OpenWork() bool {
	return (c.Status == StatusNew || c.Status == StatusOpen || c.Status == StatusUrgent) && c.SnoozedUntil.IsZero()
}

// Queue ranks. QueueRank orders the work queue (SortQueue): open work by
// priority (ranks 0 to 3, below RankOpenWork), then snoozed work, then the
// closed statuses in workflow order.
const (
	RankOpenWork = 4 // ranks below are open work
	rankSnoozed  = 4
)

// QueueRank is the conversation's place in the work queue, which stores
// keep in sync with it (see SortQueue and ConversationQuery.OpenWork).
func QueueRank(c *Conversation) int {
	switch {
	case c.OpenWork():
		return c.EffectivePriority().Level()
	case c.Status == StatusNew || c.Status == StatusOpen || c.Status == StatusUrgent:
		return rankSnoozed
	case c.Status == StatusResolved:
		return rankSnoozed + 1
	case c.Status == StatusArchived:
		return rankSnoozed + 2
	}
	return rankSnoozed + 3 // spam
}

// Intent is what the customer wants, as detected by a classifier.
type Intent string

// Intents a classifier may report.
const (
	IntentNone         Intent = ""
	IntentQuestion     Intent = "question"
	IntentComplaint    Intent = "complaint"
	IntentOrder        Intent = "order"
	IntentAppointment  Intent = "appointment"
	IntentInvoice      Intent = "invoice"      // invoices, payments, refunds
	IntentCancellation Intent = "cancellation" // cancelling an order, a contract or an appointment
	IntentUrgent       Intent = "urgent"
	IntentSpam         Intent = "spam"
	IntentOther        Intent = "other"
)

// Intents lists every intent a classifier may report, IntentNone excluded.
func Intents() []Intent {
	return []Intent{IntentQuestion, IntentComplaint, IntentOrder, IntentAppointment,
		IntentInvoice, IntentCancellation, IntentUrgent, IntentSpam, IntentOther}
}

// Valid reports whether i is IntentNone or one of [Intents].
func (i Intent) Valid() bool {
	return i == IntentNone || slices.Contains(Intents(), i)
}

// Urgency is a coarse urgency level set by classifiers or agents.
type Urgency string

// Urgency levels.
const (
	UrgencyNone   Urgency = ""
	UrgencyLow    Urgency = "low"
	UrgencyNormal Urgency = "normal"
	UrgencyHigh   Urgency = "high"
)

// Who decided a conversation's folder or status.
const (
	DecidedByManual = "manual" // an agent; automatic classifiers never override it
)

// Decision is a classifier's verdict, kept on the conversation so every
// filing is explainable.
type Decision struct {
	FolderID   string    `json:"folder_id,omitempty"`
	Status     Status    `json:"status,omitempty"`
	Intent     Intent    `json:"intent,omitempty"`
	Urgency    Urgency   `json:"urgency,omitempty"`
	Tags       []string  `json:"tags,omitempty"`
	Assignee   string    `json:"assignee,omitempty"`
	Confidence float64   `json:"confidence,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	By         string    `json:"by,omitempty"` // "rules", "ai", "learner", "manual", ...
	At         time.Time `json:"at,omitempty"`
	Error      string    `json:"error,omitempty"` // why no decision could be made
	// Pending says more of the classifier runs as background work and
	// may complete this decision: the fast part of a
	// DeferredClassifier decided at intake, and a slow labeller or
	// filer still has to answer.
	Pending bool `json:"pending,omitempty"`
	// AutoFolderID and AutoBy keep the last automatic choice when an agent
	// overrides it, so classification accuracy can be measured.
	AutoFolderID string `json:"auto_folder_id,omitempty"`
	AutoBy       string `json:"auto_by,omitempty"`
}

// Conversation is a thread of messages with one contact on one channel.
type Conversation struct {
	ID            string
	TenantID      TenantID
	Source        Source
	IntegrationID string
	ContactID     string
	FolderID      string // "" = unfiled
	Status        Status
	Intent        Intent
	Urgency       Urgency
	// Priority orders open work (see QueueRank); "" is normal.
	Priority Priority
	// SnoozedUntil hides the conversation from open work until then; the
	// engine wakes it (EventConversationUpdated "snooze.woke").
	SnoozedUntil time.Time
	Assignee     string // host-supplied employee id, "" = unassigned
	Tags         []string
	// Unread counts customer messages not yet read by an agent.
	Unread int
	// Subject is the first message's subject; ThreadSubject its normalized
	// form used by the email subject fallback.
	Subject       string
	ThreadSubject string
	// Automated marks conversations started by automated mail
	// (notifications, newsletters, bounces): they never absorb customer mail.
	Automated     bool
	MessageCount  int
	LastMessageAt time.Time
	// LastInboundAt / LastHumanReplyAt / LastAutoReplyAt feed the
	// auto-reply guard and follow-ups.
	LastInboundAt    time.Time
	LastHumanReplyAt time.Time
	LastAutoReplyAt  time.Time
	// FirstInboundAt is when the customer sent their first message (its
	// SentAt, never later than its receipt): first responses are measured
	// from it, so mail synced late does not look answered at once.
	FirstInboundAt time.Time
	// FirstResponseAt is when a person first answered; ResolvedAt when the
	// conversation was last resolved. Both feed response-time statistics.
	FirstResponseAt time.Time
	ResolvedAt      time.Time
	// Classification is the latest automatic or manual filing decision.
	Classification Decision
	ProjectID      string
	// ExternalRefs links the conversation to host records ("deal": "D-42").
	ExternalRefs map[string]string
	Summary      string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// Version increments on every update; UpdateConversation with a stale
	// version fails with ErrConflict.
	Version int64
	// ChangedVersion is the Version of the latest change an agent must
	// see before acting: an agent's action or a new message. Background
	// work (filing by a classifier, drafts, auto-replies) raises Version
	// but not ChangedVersion, so an agent who loaded the conversation
	// before it is never refused for it (see Change.Version).
	ChangedVersion int64
}
