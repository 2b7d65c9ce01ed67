package inbox

import (
	"encoding/json"
	"time"
)

// Note is an internal note on a conversation, never sent to the customer.
type Note struct {
	ID             string
	TenantID       TenantID
	ConversationID string
	Author         string   // employee id
	Body           string   // plain text
	Mentions       []string // employee ids mentioned with @
	CreatedAt      time.Time
}

// Task is a to-do created from a conversation.
type Task struct {
	ID             string
	TenantID       TenantID
	ConversationID string
	// ProjectID links the task to a host project; its conversation is
	// then in that project too (ConversationQuery.ProjectID).
	ProjectID string
	Title     string
	Assignee  string
	DueAt     time.Time // zero = no due date
	DoneAt    time.Time // zero = open
	CreatedBy string
	CreatedAt time.Time
	Version   int64
}

// FollowUpStatus is the state of a follow-up ("relance").
type FollowUpStatus string

// Follow-up states.
const (
	FollowUpPending   FollowUpStatus = "pending"
	FollowUpDue       FollowUpStatus = "due" // reminder raised, waiting for an agent
	FollowUpDone      FollowUpStatus = "done"
	FollowUpCancelled FollowUpStatus = "cancelled"
)

// FollowUp is a scheduled reminder on a conversation. Automatic ones
// (IfNoReply) are cancelled when the customer answers first.
type FollowUp struct {
	ID             string
	TenantID       TenantID
	ConversationID string
	DueAt          time.Time
	Note           string
	Assignee       string
	// IfNoReply cancels the follow-up when the customer writes before DueAt.
	IfNoReply bool
	Status    FollowUpStatus
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// DraftStatus is the state of a generated reply awaiting approval.
type DraftStatus string

// Draft states.
const (
	DraftPending  DraftStatus = "pending"
	DraftApproved DraftStatus = "approved"
	DraftRejected DraftStatus = "rejected"
	DraftFailed   DraftStatus = "failed" // generation failed; Error says why
)

// Citation is a knowledge-base passage used to write a draft.
type Citation struct {
	DocumentID string  `json:"document_id"`
	ChunkID    string  `json:"chunk_id,omitempty"`
	Title      string  `json:"title,omitempty"`
	Excerpt    string  `json:"excerpt,omitempty"`
	Score      float64 `json:"score,omitempty"`
}

// Draft is a generated reply kept for a person to edit and approve.
type Draft struct {
	ID             string
	TenantID       TenantID
	ConversationID string
	// InReplyTo is the message id (ours) the draft answers.
	InReplyTo  string
	Text       string
	Status     DraftStatus
	Confidence float64
	Citations  []Citation
	Error      string // generation error or rejection reason
	DecidedBy  string // employee who approved or rejected
	MessageID  string // the message created on approval
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Version    int64
}

// OutboxStatus is the delivery state of an outbox entry.
type OutboxStatus string

// Outbox states.
const (
	OutboxPending OutboxStatus = "pending"
	OutboxSent    OutboxStatus = "sent"
	OutboxFailed  OutboxStatus = "failed" // gave up after the retry limit
)

// OutboxItem is one outbound message waiting for delivery. It is written
// in the same transaction as its Message; the worker retries it with
// backoff under the same IdempotencyKey and never regenerates content.
type OutboxItem struct {
	ID             string
	TenantID       TenantID
	MessageID      string
	ConversationID string
	IntegrationID  string
	IdempotencyKey string
	Status         OutboxStatus
	Attempts       int
	NextAttemptAt  time.Time
	LastError      string
	ProviderID     string // id returned by the provider on success
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// QuarantineItem is a message a channel could not parse or the engine
// could not accept. It is kept raw with its error, the sync cursor moves
// on, and it can be replayed once the cause is fixed.
type QuarantineItem struct {
	ID            string
	TenantID      TenantID
	IntegrationID string
	Source        Source
	ProviderID    string
	// Key identifies the message across re-deliveries: its provider id
	// when it has one, else a hash of its content. Keys are unique in a
	// tenant: AddQuarantine of a taken key fails with ErrConflict, so a
	// bad message fetched again is not quarantined twice. Empty: none.
	Key    string
	RawKey string
	Error  string
	// Inbound is the message as received, for replay (JSON of Inbound).
	Inbound    json.RawMessage
	CreatedAt  time.Time
	ReplayedAt time.Time
	// ReplayMessageID is the message created by a successful replay.
	ReplayMessageID string
}

// Actor kinds for audit entries.
const (
	ActorSystem = "system"
)

// AuditEntry records one action: who did what to which record, with the
// state before and after. Entries are append-only and written in the
// same transaction as the change.
type AuditEntry struct {
	ID         string
	TenantID   TenantID
	Actor      string // employee id, "system", or a component ("classifier:rules")
	Action     string // "message.ingested", "conversation.status", ...
	EntityType string // "conversation", "message", "folder", ...
	EntityID   string
	// ConversationID, when the action concerns one, for per-thread history.
	ConversationID string
	Before         json.RawMessage
	After          json.RawMessage
	At             time.Time
}

// Notification is a per-user alert (new conversation, mention, assignment,
// follow-up due) with its read state.
type Notification struct {
	ID             string
	TenantID       TenantID
	UserID         string
	Kind           string
	ConversationID string
	Text           string
	CreatedAt      time.Time
	ReadAt         time.Time
}
