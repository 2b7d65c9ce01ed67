package ai

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// tenantLimits bounds, per tenant, the calls in flight and the tokens
// spent per budget window.
type tenantLimits struct {
	concurrency int
	budget      int // tokens per window; 0 = unlimited
	window      time.Duration

	mu      sync.Mutex
	slots   map[inbox.TenantID]chan struct{}
	spent   map[inbox.TenantID]*spending
	pending map[inbox.TenantID]int // tokens reserved by calls in flight
}

type spending struct {
	since  time.Time
	tokens int
}

func newTenantLimits(concurrency, budget int, window time.Duration) *tenantLimits {
	return &tenantLimits{
		concurrency: concurrency, budget: budget, window: window,
		slots: map[inbox.TenantID]chan struct{}{}, spent: map[inbox.TenantID]*spending{}, pending: map[inbox.TenantID]int{},
	}
}

// acquire waits for a call slot of the tenant and reserves estimate
// tokens of its budget. It fails with ErrTemporary when the budget is
// spent; release must be called with the tokens actually used.
func (l *tenantLimits) acquire(ctx context.Context, tenant inbox.TenantID, estimate int, now time.Time) (release func(used int), err error) {
	l.mu.Lock()
	slot := l.slots[tenant]
	if slot == nil {
		slot = make(chan struct{}, l.concurrency)
		l.slots[tenant] = slot
	}
	s := l.spent[tenant]
	if s == nil || now.Sub(s.since) >= l.window {
		s = &spending{since: now}
		l.spent[tenant] = s
	}
	if l.budget > 0 {
		if s.tokens+l.pending[tenant]+estimate > l.budget {
			resets := s.since.Add(l.window)
			l.mu.Unlock()
			return nil, fmt.Errorf("token budget of %d per %s spent until %s: %w", l.budget, l.window, resets.UTC().Format(time.RFC3339), inbox.ErrTemporary)
		}
	}
	l.pending[tenant] += estimate
	l.mu.Unlock()

	select {
	case slot <- struct{}{}:
	case <-ctx.Done():
		l.settle(tenant, estimate, 0)
		return nil, fmt.Errorf("waiting for a free call slot: %w", ctx.Err())
	}
	var once sync.Once
	return func(used int) {
		once.Do(func() {
			<-slot
			l.settle(tenant, estimate, used)
		})
	}, nil
}

func (l *tenantLimits) settle(tenant inbox.TenantID, reserved, used int) {
	l.mu.Lock()
	l.pending[tenant] -= reserved
	if s := l.spent[tenant]; s != nil {
		s.tokens += used
	}
	l.mu.Unlock()
}

// spentTokens reports the tokens a tenant spent in the current window.
func (l *tenantLimits) spentTokens(tenant inbox.TenantID) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.spent[tenant]; s != nil {
		return s.tokens
	}
	return 0
}
