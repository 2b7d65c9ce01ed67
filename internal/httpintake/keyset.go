package httpintake

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// KeySet remembers keys until an expiry, in process memory: the replay
// keys of accepted webhook requests. Expired keys are swept now and then,
// so memory stays bounded by the traffic of one expiry window. The zero
// value is ready to use and safe for concurrent use.
type KeySet struct {
	mu   sync.Mutex
	keys map[string]time.Time
	now  time.Time // latest time seen by Seen, for sweeping
	ops  int
}

// sweepEvery is how many Remember calls pass between two sweeps.
const sweepEvery = 1024

// Seen reports whether key was remembered with an expiry after now.
func (s *KeySet) Seen(ctx context.Context, key string, now time.Time) (bool, error) {
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

// Remember records key until the given time; remembering a key again
// keeps the later expiry.
func (s *KeySet) Remember(ctx context.Context, key string, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys == nil {
		s.keys = map[string]time.Time{}
	}
	if old, ok := s.keys[key]; !ok || until.After(old) {
		s.keys[key] = until
	}
	s.ops++
	if s.ops%sweepEvery == 0 {
		for k, u := range s.keys {
			if !s.now.Before(u) {
				delete(s.keys, k)
			}
		}
	}
	return nil
}

// Len returns how many keys are held, expired ones not yet swept included.
func (s *KeySet) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

// SeenChecker is the part of a replay store CheckReplay needs.
type SeenChecker interface {
	Seen(ctx context.Context, key string, now time.Time) (bool, error)
}

// CheckReplay refuses a request whose replay key was already accepted,
// with the error replayed returns. Keys are remembered only once the
// request's effect is durable, so a provider retry after a storage failure
// is processed again.
func CheckReplay(ctx context.Context, store SeenChecker, key string, now time.Time, replayed func() error) error {
	seen, err := store.Seen(ctx, key, now)
	if err != nil {
		return fmt.Errorf("check replay key: %w", err)
	}
	if seen {
		return replayed()
	}
	return nil
}
