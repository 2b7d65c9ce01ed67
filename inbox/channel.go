package inbox

import "context"

// Channel is a live connection to one integration. The core is tiny; what a
// channel can do is discovered by type assertion on the optional
// capabilities Puller, Watcher and Sender, in the manner of
// database/sql/driver.
type Channel interface {
	// Kind is the channel's source.
	Kind() Source
	// IntegrationID is the integration this channel serves.
	IntegrationID() string
}

// Batch is a group of inbound messages ingested atomically, together with
// the sync cursor that covers them.
type Batch struct {
	IntegrationID string
	// Cursor, when non-nil, is stored as the integration's new cursor in the
	// same transaction as the messages.
	Cursor   *string
	Messages []Inbound
}

// DeliverFunc receives a batch from a Puller and makes it durable. When it
// returns nil the batch and its cursor are committed.
type DeliverFunc func(ctx context.Context, b Batch) (IngestResult, error)

// Puller fetches messages the store does not have yet.
type Puller interface {
	Channel
	// Pull fetches messages after cursor and hands them to deliver in
	// batches, each carrying the cursor that covers it, so memory stays
	// bounded and a crash resumes from the last committed batch. It stops
	// at the first deliver error.
	Pull(ctx context.Context, cursor string, deliver DeliverFunc) error
}

// Watcher is told by the server when new messages arrive (IMAP IDLE).
type Watcher interface {
	Channel
	// Watch blocks until ctx ends, calling notify whenever new messages may
	// be waiting; the engine then pulls. It reconnects on its own.
	Watch(ctx context.Context, notify func()) error
}

// Outbound is one message to deliver through a Sender.
type Outbound struct {
	Message      Message
	Conversation Conversation
	Contact      Contact
	// Thread is the conversation's earlier messages, oldest first, so email
	// can set In-Reply-To and References.
	Thread []Message
	// IdempotencyKey is stable across retries of the same outbox entry.
	IdempotencyKey string
	// Blobs gives access to attachment bytes.
	Blobs BlobStore
}

// Sender delivers outbound messages.
type Sender interface {
	Channel
	// Send delivers out and returns the provider's id for it. Errors
	// wrapping ErrTemporary are retried with backoff; others are final.
	Send(ctx context.Context, out Outbound) (providerID string, err error)
}

// SecretFunc opens one sealed secret field of an integration.
type SecretFunc func(field string) ([]byte, error)

// ChannelFactory builds a Channel for an integration, opening its secrets
// only through secret.
type ChannelFactory func(ctx context.Context, in Integration, secret SecretFunc) (Channel, error)
