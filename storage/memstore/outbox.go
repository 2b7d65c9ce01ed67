package memstore

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/inboxkit/inboxkit/inbox"
)

// EnqueueOutbox adds a delivery job; its idempotency key is required and
// unique in the tenant.
func (t *tx) EnqueueOutbox(o *inbox.OutboxItem) error {
	if err := inbox.CheckText("outbox", o); err != nil {
		return fmt.Errorf("memstore: enqueue outbox: %w", err)
	}
	if err := t.write("enqueue outbox"); err != nil {
		return err
	}
	if o.IdempotencyKey == "" {
		return fmt.Errorf("memstore: enqueue outbox: %w", inbox.Invalid("idempotency_key", "is required"))
	}
	if err := t.begin("enqueue outbox", &o.TenantID, &o.ID, &o.CreatedAt, &o.UpdatedAt); err != nil {
		return err
	}
	if _, ok := t.state.outbox[o.ID]; ok {
		return conflict("enqueue outbox", o.ID)
	}
	if holder, ok := t.state.idempotency[o.IdempotencyKey]; ok {
		return fmt.Errorf("memstore: enqueue outbox: idempotency key %q is taken by %q: %w", o.IdempotencyKey, holder, inbox.ErrConflict)
	}
	put(&t.undo, t.state.outbox, o.ID, cloneOutbox(*o))
	put(&t.undo, t.state.idempotency, o.IdempotencyKey, o.ID)
	return nil
}

// UpdateOutbox records an attempt: status, attempts, next attempt, error,
// provider id and UpdatedAt.
func (t *tx) UpdateOutbox(o *inbox.OutboxItem) error {
	if err := inbox.CheckText("outbox", o); err != nil {
		return fmt.Errorf("memstore: update outbox: %w", err)
	}
	if err := t.write("update outbox"); err != nil {
		return err
	}
	if err := t.ownExisting("outbox item", o.ID, &o.TenantID); err != nil {
		return err
	}
	cur, ok := t.state.outbox[o.ID]
	if !ok {
		return notFound("outbox item", o.ID)
	}
	in := cloneOutbox(*o)
	cur.Status, cur.Attempts, cur.NextAttemptAt = in.Status, in.Attempts, in.NextAttemptAt
	cur.LastError, cur.ProviderID, cur.UpdatedAt = in.LastError, in.ProviderID, in.UpdatedAt
	put(&t.undo, t.state.outbox, o.ID, cur)
	return nil
}

// ListOutbox orders by NextAttemptAt, then id; DueBefore is exclusive.
func (t *tx) ListOutbox(q inbox.OutboxQuery) ([]inbox.OutboxItem, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	due := ts(q.DueBefore)
	var out []inbox.OutboxItem
	for _, o := range t.state.outbox {
		if (q.Status == "" || o.Status == q.Status) &&
			(due.IsZero() || o.NextAttemptAt.Before(due)) &&
			(q.MessageID == "" || o.MessageID == q.MessageID) {
			out = append(out, cloneOutbox(o))
		}
	}
	slices.SortFunc(out, func(a, b inbox.OutboxItem) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), cmp.Compare(a.ID, b.ID))
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// dropOutbox removes an outbox item and frees its idempotency key.
func (t *tx) dropOutbox(id string) {
	o := t.state.outbox[id]
	if t.state.idempotency[o.IdempotencyKey] == id {
		del(&t.undo, t.state.idempotency, o.IdempotencyKey)
	}
	del(&t.undo, t.state.outbox, id)
}
