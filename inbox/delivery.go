package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// EventMessageDelivery is published when a provider's status callback
// changed an outbound message's delivery state; Detail holds the new state.
const EventMessageDelivery EventType = "message.delivery"

// DeliveryUpdate is a provider's news about a message we sent.
type DeliveryUpdate struct {
	IntegrationID string
	// ProviderID is the provider's id of the message (Message.ProviderID).
	ProviderID string
	State      DeliveryState
	// Error is the provider's reason, for failures.
	Error string
	// Status is the provider's own status word, for the audit trail.
	Status string
	// Actor names the channel in the audit log ("channel:vonage").
	Actor string
}

// rank orders delivery states so late or repeated callbacks never move a
// message backwards (read, then a delayed "delivered").
func (s DeliveryState) rank() int {
	switch s {
	case DeliveryQueued:
		return 1
	case DeliverySent:
		return 2
	case DeliveryDelivered:
		return 3
	case DeliveryRead:
		return 4
	}
	return 0
}

// advances reports whether moving from cur to next is progress. A failure
// is accepted until the message is known delivered; a message reported
// failed and then delivered was delivered.
func advances(cur, next DeliveryState) bool {
	if next == DeliveryFailed {
		return cur != DeliveryFailed && cur.rank() < DeliveryDelivered.rank()
	}
	if cur == DeliveryFailed {
		return next == DeliveryDelivered || next == DeliveryRead
	}
	return next.rank() > cur.rank()
}

// RecordDelivery applies a provider's status callback to the outbound
// message it is about, with an audit entry in the same transaction, and
// publishes EventMessageDelivery (and EventMessageFailed on a failure).
// States only move forward. It returns "updated", "unchanged" or
// "ignored" (no outbound message has that provider id).
func (e *Engine) RecordDelivery(ctx context.Context, tenant TenantID, u DeliveryUpdate) (string, error) {
	if _, err := e.tenant(ctx, tenant); err != nil {
		return "", fmt.Errorf("record delivery: %w", err)
	}
	if u.ProviderID == "" || u.IntegrationID == "" {
		return "", fmt.Errorf("record delivery: %w", Invalid("provider_id", "and integration id are required"))
	}
	now := e.now()
	var (
		outcome string
		msg     Message
	)
	for attempt := 0; attempt < 3; attempt++ {
		outcome = "ignored"
		err := e.updateTx(ctx, tenant, func(tx storeTx) error {
			m, err := tx.GetMessageByProviderID(u.IntegrationID, u.ProviderID)
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("find message: %w", err)
			}
			if m.Direction != DirectionOut {
				return nil
			}
			outcome = "unchanged"
			if !advances(m.Delivery, u.State) {
				return nil
			}
			before, _ := json.Marshal(map[string]string{"delivery": string(m.Delivery)})
			m.Delivery = u.State
			if u.State == DeliveryFailed {
				m.DeliveryError = CleanText(u.Error)
			}
			if err := tx.UpdateMessage(&m); err != nil {
				return fmt.Errorf("update message: %w", err)
			}
			after, _ := json.Marshal(map[string]string{"delivery": string(u.State), "provider_status": u.Status, "error": u.Error})
			if err := tx.AppendAudit(AuditEntry{TenantID: tenant, Actor: firstNonEmpty(u.Actor, "channel"), Action: "message.delivery",
				EntityType: "message", EntityID: m.ID, ConversationID: m.ConversationID, Before: before, After: after, At: now}); err != nil {
				return fmt.Errorf("append audit: %w", err)
			}
			outcome, msg = "updated", m
			return nil
		})
		if errors.Is(err, ErrConflict) {
			continue // a concurrent callback for the same message: read again
		}
		if err != nil {
			return "", fmt.Errorf("record delivery status %s: %w", u.Status, err)
		}
		break
	}
	if outcome == "updated" {
		ev := Event{Type: EventMessageDelivery, TenantID: tenant, ConversationID: msg.ConversationID, MessageID: msg.ID,
			IntegrationID: u.IntegrationID, Direction: DirectionOut, Detail: string(u.State), At: now}
		evs := []Event{ev}
		if u.State == DeliveryFailed {
			ev.Type, ev.Detail = EventMessageFailed, u.Error
			evs = append(evs, ev)
		}
		e.bus.publish(evs...)
	}
	return outcome, nil
}

// MessageByProviderID finds the message an integration stored under a
// provider id (a webhook's external id, a Vonage message id).
func (e *Engine) MessageByProviderID(ctx context.Context, tenant TenantID, integrationID, providerID string) (Message, error) {
	var m Message
	err := e.view(ctx, "get message", tenant, func(tx storeTx) error {
		var err error
		m, err = tx.GetMessageByProviderID(integrationID, providerID)
		return notFound("message", providerID, err)
	})
	return m, err
}

// SaveSummary stores a conversation's summary (written by a summarizer:
// background work, so it never makes an agent's action conflict), with an
// audit entry, and publishes a conversation.updated event whose Detail is
// "summary". before and after describe the change in the audit log.
func (e *Engine) SaveSummary(ctx context.Context, tenant TenantID, convID, summary string, actor string, before, after json.RawMessage) error {
	const op = "save summary"
	if _, err := e.tenant(ctx, tenant); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	now := e.now()
	err := e.updateTx(ctx, tenant, func(tx storeTx) error {
		c, err := tx.GetConversation(convID)
		if err != nil {
			return notFound("conversation", convID, err)
		}
		c.Summary, c.UpdatedAt = CleanText(summary), now
		if err := tx.UpdateConversation(&c); err != nil {
			return err
		}
		return tx.AppendAudit(AuditEntry{TenantID: tenant, Actor: firstNonEmpty(actor, "summarizer"), Action: "conversation.summary",
			EntityType: "conversation", EntityID: c.ID, ConversationID: c.ID, Before: before, After: after, At: now})
	})
	if err != nil {
		return fmt.Errorf("%s of conversation %q: %w", op, convID, err)
	}
	e.bus.publish(Event{Type: EventConversationUpdated, TenantID: tenant, ConversationID: convID, Detail: "summary", At: now})
	return nil
}
