package webhook

import (
	"context"
	"sync"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// DeliveryStatus is the outcome of one delivery attempt.
type DeliveryStatus string

// Delivery outcomes.
const (
	DeliveryDelivered DeliveryStatus = "delivered" // the endpoint answered 2xx
	DeliveryRetrying  DeliveryStatus = "retrying"  // failed; another attempt is scheduled
	DeliveryFailed    DeliveryStatus = "failed"    // failed for the last time
)

// Delivery records one attempt to deliver an event to an endpoint.
type Delivery struct {
	ID         string
	Tenant     inbox.TenantID
	EndpointID string
	// WebhookID is the webhook-id header, the same on every attempt so the
	// receiver can de-duplicate.
	WebhookID  string
	EventType  inbox.EventType
	Attempt    int // from 1
	Status     DeliveryStatus
	HTTPStatus int    // 0 when no response was received
	Error      string // why the attempt failed
	At         time.Time
	Duration   time.Duration
	// NextAttemptAt is set when Status is DeliveryRetrying.
	NextAttemptAt time.Time
}

// DeliveryQuery filters the delivery log, newest first.
type DeliveryQuery struct {
	Tenant     inbox.TenantID // "" = every tenant
	EndpointID string
	WebhookID  string
	Limit      int // 0 means 100
}

// DeliveryLog keeps the delivery attempts of outgoing event webhooks, for
// the host's admin screens. A SQL-backed log survives restarts;
// MemoryDeliveryLog keeps the latest entries in process memory.
type DeliveryLog interface {
	Record(ctx context.Context, d Delivery) error
	List(ctx context.Context, q DeliveryQuery) ([]Delivery, error)
}

// MemoryDeliveryLog is a DeliveryLog holding the most recent entries.
// Use NewMemoryDeliveryLog.
type MemoryDeliveryLog struct {
	mu      sync.Mutex
	entries []Delivery
	max     int
}

var _ DeliveryLog = (*MemoryDeliveryLog)(nil)

// NewMemoryDeliveryLog keeps the latest max entries (0 means 10,000).
func NewMemoryDeliveryLog(max int) *MemoryDeliveryLog {
	if max <= 0 {
		max = 10_000
	}
	return &MemoryDeliveryLog{max: max}
}

// Record implements DeliveryLog.
func (l *MemoryDeliveryLog) Record(ctx context.Context, d Delivery) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if d.ID == "" {
		d.ID = inbox.NewID()
	}
	l.entries = append(l.entries, d)
	if over := len(l.entries) - l.max; over > 0 {
		l.entries = append(l.entries[:0], l.entries[over:]...)
	}
	return nil
}

// List implements DeliveryLog.
func (l *MemoryDeliveryLog) List(ctx context.Context, q DeliveryQuery) ([]Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Delivery
	for i := len(l.entries) - 1; i >= 0 && len(out) < limit; i-- {
		d := l.entries[i]
		if (q.Tenant == "" || d.Tenant == q.Tenant) && (q.EndpointID == "" || d.EndpointID == q.EndpointID) &&
			(q.WebhookID == "" || d.WebhookID == q.WebhookID) {
			out = append(out, d)
		}
	}
	return out, nil
}
