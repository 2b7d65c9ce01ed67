package inbox

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Outbox defaults.
const (
	DefaultOutboxMaxAttempts = 8
	// outboxClaim is how long a claimed entry is hidden from other workers
	// while it is being sent; a worker that dies mid-send releases it when
	// the claim expires, and the idempotency key keeps the retry safe.
	outboxClaim = 5 * time.Minute
	sendTimeout = time.Minute
)

// kickOutbox wakes the outbox worker, if one runs, without blocking.
func (e *Engine) kickOutbox() {
	select {
	case e.outboxWake <- struct{}{}:
	default:
	}
}

// RunOutbox delivers queued outbound messages of every tenant until ctx
// ends: at once when a reply is queued, and at least every interval for
// retries (0 means 5 s). It returns nil when ctx ends.
func (e *Engine) RunOutbox(ctx context.Context, interval time.Duration) error {
	return e.everyTenant(ctx, "outbox delivery", interval, e.outboxWake, 1, func(t Tenant) {
		if _, err := e.DeliverOutbox(ctx, t.ID); err != nil && ctx.Err() == nil {
			e.log.Error("inbox: outbox delivery", "tenant", string(t.ID), "err", err)
		}
	})
}

// everyTenant runs fn for every tenant, at most parallel at once, then
// again after interval (0 means 5 s) or as soon as wake is signalled,
// until ctx ends; it returns nil then.
func (e *Engine) everyTenant(ctx context.Context, what string, interval time.Duration, wake <-chan struct{}, parallel int, fn func(Tenant)) error {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	t := e.newTicker(interval)
	defer t.Stop()
	for {
		tenants, err := e.store.ListTenants(ctx)
		if err != nil && ctx.Err() == nil {
			e.log.Error("inbox: "+what+": list tenants", "err", err)
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, parallel)
		for _, tn := range tenants {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				fn(tn)
			})
		}
		wg.Wait()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		case <-wake:
		}
	}
}

// DeliverOutbox makes one delivery pass over a tenant's due outbox
// entries and returns how many were attempted. Each entry is claimed
// before sending; success records the provider id and marks the message
// sent; a temporary failure schedules a retry with exponential backoff; a
// permanent failure, or the last attempt, marks it failed, visibly on the
// message. Content is never regenerated.
func (e *Engine) DeliverOutbox(ctx context.Context, tenant TenantID) (int, error) {
	now := e.clock.Now()
	var claimed []OutboxItem
	err := e.updateTx(ctx, tenant, func(tx storeTx) error {
		due, err := tx.ListOutbox(OutboxQuery{Status: OutboxPending, DueBefore: now.Add(time.Microsecond), Limit: 50})
		if err != nil {
			return err
		}
		for _, o := range due {
			o.NextAttemptAt = now.Add(outboxClaim)
			o.UpdatedAt = now
			if err := tx.UpdateOutbox(&o); err != nil {
				return err
			}
			claimed = append(claimed, o)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("claim outbox entries: %w", err)
	}
	for _, o := range claimed {
		if ctx.Err() != nil {
			break
		}
		e.deliver(ctx, tenant, o)
	}
	return len(claimed), nil
}

func (e *Engine) deliver(ctx context.Context, tenant TenantID, o OutboxItem) {
	var out Outbound
	var integ Integration
	err := e.viewTx(ctx, tenant, func(tx storeTx) error {
		var err error
		if out.Message, err = tx.GetMessage(o.MessageID); err != nil {
			return err
		}
		if out.Conversation, err = tx.GetConversation(o.ConversationID); err != nil {
			return err
		}
		if out.Contact, err = tx.GetContact(out.Conversation.ContactID); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		msgs, err := tx.ListMessages(o.ConversationID)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.ID != o.MessageID {
				out.Thread = append(out.Thread, m)
			}
		}
		integ, err = tx.GetIntegration(o.IntegrationID)
		return err
	})
	var providerID string
	if err == nil {
		out.IdempotencyKey, out.Blobs = o.IdempotencyKey, e.blobs
		providerID, err = e.send(ctx, integ, out)
	} else {
		err = fmt.Errorf("load outbound message: %w", err)
	}
	if ctx.Err() != nil && err != nil {
		return // shutting down: the claim expires and the entry is retried
	}
	e.recordDelivery(ctx, tenant, o, providerID, err)
}

func (e *Engine) send(ctx context.Context, integ Integration, out Outbound) (string, error) {
	if !integ.Enabled {
		return "", fmt.Errorf("integration %q is disabled: %w", integ.ID, ErrTemporary)
	}
	ch, err := e.OpenChannel(ctx, integ)
	if err != nil {
		return "", err
	}
	sender, ok := ch.(Sender)
	if !ok {
		return "", fmt.Errorf("%w: %s channel cannot send", ErrUnsupported, integ.Kind)
	}
	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	start := time.Now()
	id, err := sender.Send(sctx, out)
	e.metrics.observe("send_seconds", time.Since(start), "kind", string(integ.Kind))
	if err != nil && sctx.Err() != nil && ctx.Err() == nil {
		err = fmt.Errorf("send timed out after %s: %w", sendTimeout, ErrTemporary)
	}
	return id, err
}

func (e *Engine) recordDelivery(ctx context.Context, tenant TenantID, o OutboxItem, providerID string, sendErr error) {
	now := e.clock.Now()
	o.Attempts++
	o.UpdatedAt = now
	var ev Event
	err := e.updateTx(context.WithoutCancel(ctx), tenant, func(tx storeTx) error {
		m, err := tx.GetMessage(o.MessageID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		switch {
		case sendErr == nil:
			o.Status, o.ProviderID, o.LastError = OutboxSent, providerID, ""
			m.Delivery, m.DeliveryError = DeliverySent, ""
			if providerID != "" && m.ProviderID == "" {
				m.ProviderID = providerID
			}
			ev = Event{Type: EventMessageSent, TenantID: tenant, ConversationID: o.ConversationID, MessageID: o.MessageID, IntegrationID: o.IntegrationID, Direction: DirectionOut, At: now}
			e.metrics.add("sent", 1)
		case errors.Is(sendErr, ErrTemporary) && o.Attempts < e.outboxMaxAttempts:
			o.LastError = sendErr.Error()
			o.NextAttemptAt = now.Add(backoff(o.Attempts, rand.Float64()))
			m.DeliveryError = fmt.Sprintf("attempt %d failed, retrying: %s", o.Attempts, sendErr)
			ev = Event{Type: EventMessageDelayed, TenantID: tenant, ConversationID: o.ConversationID, MessageID: o.MessageID, IntegrationID: o.IntegrationID,
				Direction: DirectionOut, Detail: m.DeliveryError, At: now}
			e.metrics.add("send_retries", 1)
		default:
			o.Status, o.LastError = OutboxFailed, sendErr.Error()
			m.Delivery, m.DeliveryError = DeliveryFailed, fmt.Sprintf("gave up after %d attempts: %s", o.Attempts, sendErr)
			ev = Event{Type: EventMessageFailed, TenantID: tenant, ConversationID: o.ConversationID, MessageID: o.MessageID, IntegrationID: o.IntegrationID,
				Direction: DirectionOut, Detail: m.DeliveryError, At: now}
			e.metrics.add("send_failures", 1)
		}
		if err := tx.UpdateOutbox(&o); err != nil {
			return err
		}
		if m.ID == "" {
			return nil
		}
		if err := tx.UpdateMessage(&m); err != nil {
			return err
		}
		return tx.AppendAudit(AuditEntry{
			TenantID: tenant, Actor: ActorSystem, Action: "message.delivery", EntityType: "message", EntityID: m.ID,
			ConversationID: o.ConversationID, After: mustJSON(map[string]any{"status": o.Status, "attempts": o.Attempts, "error": o.LastError}), At: now,
		})
	})
	if err != nil {
		e.log.Error("inbox: record delivery", "tenant", string(tenant), "message", o.MessageID, "err", err)
		return
	}
	if sendErr != nil {
		e.log.Warn("inbox: delivery failed", "tenant", string(tenant), "message", o.MessageID, "attempt", o.Attempts, "final", o.Status == OutboxFailed, "err", sendErr)
	}
	if ev.Type != "" {
		e.bus.publish(ev)
	}
}
