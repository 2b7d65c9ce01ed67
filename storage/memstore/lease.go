package memstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

var _ driver.Leaser = (*Store)(nil)

// leaseTable holds the store's leases. Its zero value is ready to use.
type leaseTable struct {
	mu     sync.Mutex
	leases map[string]lease
}

type lease struct {
	holder  string
	expires time.Time // read with the monotonic clock
}

// AcquireLease takes the lease name for holder until now+ttl, or renews it
// when holder has it already; it returns false when another holder's lease
// has not expired. Leases live in the process, like the rest of the store.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := checkLease(name, holder); err != nil {
		return false, fmt.Errorf("memstore: acquire lease: %w", err)
	}
	if ttl <= 0 {
		return false, fmt.Errorf("memstore: acquire lease %q: %w", name, inbox.Invalid("ttl", "must be positive"))
	}
	if err := s.checkOpen(); err != nil {
		return false, err
	}
	now := time.Now()
	t := &s.leases
	t.mu.Lock()
	defer t.mu.Unlock()
	if cur, ok := t.leases[name]; ok && cur.holder != holder && now.Before(cur.expires) {
		return false, nil
	}
	if t.leases == nil {
		t.leases = map[string]lease{}
	}
	t.leases[name] = lease{holder: holder, expires: now.Add(ttl)}
	return true, nil
}

// ReleaseLease ends holder's lease on name; a lease another holder has is
// left alone.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkLease(name, holder); err != nil {
		return fmt.Errorf("memstore: release lease: %w", err)
	}
	if err := s.checkOpen(); err != nil {
		return err
	}
	t := &s.leases
	t.mu.Lock()
	defer t.mu.Unlock()
	if cur, ok := t.leases[name]; ok && cur.holder == holder {
		delete(t.leases, name)
	}
	return nil
}

// open returns errClosed after Close.
func (s *Store) checkOpen() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return errClosed
	}
	return nil
}

func checkLease(name, holder string) error {
	switch {
	case name == "":
		return inbox.Invalid("name", "is required")
	case holder == "":
		return inbox.Invalid("holder", "is required")
	}
	return nil
}
