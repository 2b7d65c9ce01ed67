package webhook

import (
	"context"
	"fmt"
	"sync"
	"time"
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
	mu   sync.Mutex
	keys map[string]time.Time
	now  time.Time
	ops  int
}

var _ ReplayStore = (*MemoryReplayStore)(nil)

// NewMemoryReplayStore returns an empty in-memory ReplayStore.
func NewMemoryReplayStore() *MemoryReplayStore {
	return &MemoryReplayStore{keys: map[string]time.Time{}}
}

// Seen implements ReplayStore.
func (s *MemoryReplayStore) Seen(ctx context.Context, key string, now time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.After(s.now) {
		s.now = now
	}
	until, ok := s.keys[key]
	return ok && now.Before(until), nil
}

// Remember implements ReplayStore.
func (s *MemoryReplayStore) Remember(ctx context.Context, key string, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.keys[key]; !ok || until.After(old) {
		s.keys[key] = until
	}
	s.ops++
	if s.ops%1024 == 0 {
		for k, u := range s.keys {
			if !s.now.Before(u) {
				delete(s.keys, k)
			}
		}
	}
	return nil
}

// replayKey scopes a webhook-id to its integration.
func replayKey(integrationID, webhookID string) string {
	return "whid:" + integrationID + ":" + webhookID
}

// checkReplay refuses a webhook-id that was already accepted. Ids are
// remembered only once the message is durable, so a retry after a storage
// failure is processed again.
func checkReplay(ctx context.Context, store ReplayStore, key string, now time.Time) error {
	seen, err := store.Seen(ctx, key, now)
	if err != nil {
		return fmt.Errorf("check replay key: %w", err)
	}
	if seen {
		return verifyErr(CodeReplay, "a request with this webhook-id was already accepted")
	}
	return nil
}
