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
	Assignee      string // host-supplied employee id, "" = unassigned
	Tags          []string
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
