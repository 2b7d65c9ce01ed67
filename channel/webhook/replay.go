package webhook

import (
	"context"
	"time"

	"github.com/inboxkit/inboxkit/internal/httpintake"
)

// DefaultReplayWindow is how long webhook-ids of accepted requests are
// remembered: far longer than the timestamp tolerance.
const DefaultReplayWindow = 24 * time.Hour

// ReplayStore remembers the webhook-ids of accepted requests, so a request
// replayed while its timestamp is still fresh, or re-signed with the same
// id, is recognised. Instances behind a load balancer share one store
// (backed by the SQL store); MemoryReplayStore serves a single process.
type ReplayStore interface {
	// Seen reports whether key was remembered with an expiry after now.
	Seen(ctx context.Context, key string, now time.Time) (bool, error)
	// Remember records key until the given time; remembering a key again
	// keeps the later expiry.
	Remember(ctx context.Context, key string, until time.Time) error
}

// MemoryReplayStore is a ReplayStore in process memory. Expired keys are
// swept now and then, so memory is bounded by one window's traffic. Use
// NewMemoryReplayStore.
type MemoryReplayStore struct {
	keys httpintake.KeySet
}

var _ ReplayStore = (*MemoryReplayStore)(nil)

// NewMemoryReplayStore returns an empty in-memory ReplayStore.
func NewMemoryReplayStore() *MemoryReplayStore {
	return &MemoryReplayStore{}
}

// Seen implements ReplayStore.
func (s *MemoryReplayStore) Seen(ctx context.Context, key string, now time.Time) (bool, error) {
	return s.keys.Seen(ctx, key, now)
}

// Remember implements ReplayStore.
func (s *MemoryReplayStore) Remember(ctx context.Context, key string, until time.Time) error {
	return s.keys.Remember(ctx, key, until)
}

// replayKey scopes a webhook-id to its integration.
func replayKey(integrationID, webhookID string) string {
	return "whid:" + integrationID + ":" + webhookID
}

// checkReplay refuses a webhook-id that was already accepted. Ids are
// remembered only once the message is durable, so a retry after a storage
// failure is processed again.
func checkReplay(ctx context.Context, store ReplayStore, key string, now time.Time) error {
	return httpintake.CheckReplay(ctx, store, key, now, func() error {
		return verifyErr(CodeReplay, "a request with this webhook-id was already accepted")
	})
}
