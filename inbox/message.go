package inbox

import "time"

// Direction says whether a message came in from a customer or went out.
type Direction string

// Directions.
const (
	DirectionIn  Direction = "in"
	DirectionOut Direction = "out"
)

// AuthorKind says who wrote a message.
type AuthorKind string

// Author kinds.
const (
	AuthorCustomer  AuthorKind = "customer"
	AuthorAgent     AuthorKind = "agent"
	AuthorAutoReply AuthorKind = "auto_reply"
	AuthorSystem    AuthorKind = "system"
)

// DeliveryState tracks an outbound message through the outbox and the
// provider's status callbacks.
type DeliveryState string

// Delivery states.
const (
	DeliveryNone      DeliveryState = ""
	DeliveryQueued    DeliveryState = "queued"
	DeliverySent      DeliveryState = "sent"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryRead      DeliveryState = "read"
	DeliveryFailed    DeliveryState = "failed"
)

// Attachment is a file carried by a message. Its bytes live in the
// BlobStore under BlobKey, never under a name taken from the input.
type Attachment struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"` // sanitized display name
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256,omitempty"`
	BlobKey     string `json:"blob_key,omitempty"`
	ContentID   string `json:"content_id,omitempty"` // for inline cid: images
	Inline      bool   `json:"inline,omitempty"`
	// Rejected explains why the bytes were not kept (type not allowed,
	// content does not match the declared type...).
	Rejected string `json:"rejected,omitempty"`
}

// Message is one message in a conversation, in either direction.
type Message struct {
	ID             string
	TenantID       TenantID
	ConversationID string
	IntegrationID  string
	Source         Source
	// Channel is the sender's own name for where the message came from,
	// when its channel reports one (a webhook's "channel": "webchat",
	// "form"); Source is the integration's kind.
	Channel   string `json:",omitempty"`
	Direction Direction
	Author    AuthorKind
	AuthorID  string // agent id for agent messages
	// ProviderID is the channel's id (IMAP "uidvalidity:uid" key, Vonage
	// message id, webhook external id).
	ProviderID string
	// MessageID, InReplyTo and References are RFC 5322 ids without <>.
	MessageID  string
	InReplyTo  string
	References []string
	From       Party
	To         []Party
	Cc         []Party
	// Bcc are the blind copies of an outgoing email: envelope recipients
	// only, never written in its headers.
	Bcc     []Party `json:",omitempty"`
	ReplyTo []Party
	Subject string
	Text    string
	// HTML is sanitized before storage; never raw customer HTML.
	HTML        string
	Attachments []Attachment
	// Template is the approved template an outgoing message is sent with;
	// Text is then the template rendered with its parameters.
	Template   *TemplateChoice `json:",omitempty"`
	Automated  bool
	Newsletter bool
	Bounce     bool
	// AutomatedReason names the signal (e.g. "auto-submitted", "list-id").
	AutomatedReason string
	// RawKey is the BlobStore key of the original bytes, if kept.
	RawKey string
	// ThreadReason says why the message joined its conversation
	// ("in-reply-to <id>", "thread-index", "subject fallback", "new").
	ThreadReason string
	// DedupeKeys are unique per tenant and outlive the message, so deleted
	// conversations are never re-imported. Computed by the engine.
	DedupeKeys []string
	// ThreadKeys let later messages find this one's conversation (its own
	// Message-ID, Outlook thread root, webhook thread key). Computed by the
	// engine.
	ThreadKeys []string
	SentAt     time.Time // as claimed by the sender
	CreatedAt  time.Time // when stored
	Read       bool
	Delivery   DeliveryState
	// DeliveryError is the last provider error for outbound messages.
	DeliveryError string
	Language      string
	Version       int64
}

// Inbound is what a channel hands to Engine.Ingest: one received message,
// parsed but not yet threaded. Fields the channel cannot know stay empty.
type Inbound struct {
	IntegrationID string
	Source        Source
	// Channel is the sender's own name for where the message came from
	// (see Message.Channel).
	Channel string
	// ProviderID must be unique within the integration (IMAP
	// "uidvalidity/folder/uid", Vonage message id, webhook external id).
	ProviderID  string
	MessageID   string
	InReplyTo   string
	References  []string
	ThreadIndex string // Outlook Thread-Index header, base64
	// ThreadKey is a channel-supplied conversation key (webhook thread_key).
	ThreadKey   string
	From        Party
	To          []Party
	Cc          []Party
	ReplyTo     []Party
	Subject     string
	Text        string
	HTML        string
	Attachments []Attachment
	SentAt      time.Time
	Automated   bool
	Newsletter  bool
	Bounce      bool
	// AutomatedReason names the signal that made it automated.
	AutomatedReason string
	// Own marks our own outbound mail seen again (IMAP Sent folder): it is
	// stored as an agent message in the customer's conversation.
	Own bool
	// RawKey is the BlobStore key of the original bytes the channel kept,
	// if any. Channels write each delivery under a new key (NewBlobKey):
	// the files of a message the engine does not keep (a duplicate, a
	// skipped newsletter, a batch that failed) are deleted.
	RawKey   string
	Language string
	// ParseError, when set, means the channel could not parse the message:
	// the engine quarantines it (with RawKey) instead of storing it.
	ParseError string
}
