package vonage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// EventMessageDelivery is published when a provider status callback
// changed an outbound message's delivery state; Detail holds the new
// state.
const EventMessageDelivery inbox.EventType = "message.delivery"

// deliveryRank orders delivery states so late or repeated callbacks
// never move a message backwards (read, then a delayed "delivered").
func deliveryRank(s inbox.DeliveryState) int {
	switch s {
	case inbox.DeliveryQueued:
		return 1
	case inbox.DeliverySent:
		return 2
	case inbox.DeliveryDelivered:
		return 3
	case inbox.DeliveryRead:
		return 4
	}
	return 0
}

// advances reports whether moving from cur to next is progress. A failure
// is accepted until the message is known delivered.
func advances(cur, next inbox.DeliveryState) bool {
	if next == inbox.DeliveryFailed {
		return cur != inbox.DeliveryFailed && deliveryRank(cur) < deliveryRank(inbox.DeliveryDelivered)
	}
	if cur == inbox.DeliveryFailed {
		// A message reported failed and then delivered was delivered.
		return next == inbox.DeliveryDelivered || next == inbox.DeliveryRead
	}
	return deliveryRank(next) > deliveryRank(cur)
}

// deliveryUpdate is one status callback to apply.
type deliveryUpdate struct {
	ProviderID string
	State      inbox.DeliveryState
	Error      string // provider error, for failures
	Status     string // the provider's own status word, for the audit trail
}

// recordDelivery applies a status callback to the outbound message with
// the provider id, with an audit entry in the same transaction, and
// publishes EventMessageDelivery (and EventMessageFailed on failure). It
// returns "updated", "unchanged" or "ignored" (no such outbound message).
func recordDelivery(ctx context.Context, eng *inbox.Engine, t Target, u deliveryUpdate, now time.Time) (string, error) {
	outcome := "ignored"
	var msg inbox.Message
	for attempt := 0; attempt < 3; attempt++ {
		outcome = "ignored"
		err := eng.Store().Update(ctx, t.Tenant, func(tx inbox.Tx) error {
			m, err := tx.GetMessageByProviderID(t.Integration.ID, u.ProviderID)
			if errors.Is(err, inbox.ErrNotFound) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("find message: %w", err)
			}
			if m.Direction != inbox.DirectionOut {
				return nil
			}
			outcome = "unchanged"
			if !advances(m.Delivery, u.State) {
				return nil
			}
			before, _ := json.Marshal(map[string]string{"delivery": string(m.Delivery)})
			m.Delivery = u.State
			if u.State == inbox.DeliveryFailed {
				m.DeliveryError = u.Error
			}
			if err := tx.UpdateMessage(&m); err != nil {
				return fmt.Errorf("update message: %w", err)
			}
			after, _ := json.Marshal(map[string]string{"delivery": string(u.State), "provider_status": u.Status, "error": u.Error})
			if err := tx.AppendAudit(inbox.AuditEntry{
				TenantID: t.Tenant, Actor: "channel:vonage", Action: "message.delivery", EntityType: "message",
				EntityID: m.ID, ConversationID: m.ConversationID, Before: before, After: after, At: now,
			}); err != nil {
				return fmt.Errorf("append audit: %w", err)
			}
			outcome, msg = "updated", m
			return nil
		})
		if errors.Is(err, inbox.ErrConflict) {
			continue // a concurrent callback for the same message: read again
		}
		if err != nil {
			return "", fmt.Errorf("record delivery status %s: %w", u.Status, err)
		}
		break
	}
	if outcome == "updated" {
		ev := inbox.Event{Type: EventMessageDelivery, TenantID: t.Tenant, ConversationID: msg.ConversationID,
			MessageID: msg.ID, IntegrationID: t.Integration.ID, Detail: string(u.State), At: now}
		evs := []inbox.Event{ev}
		if u.State == inbox.DeliveryFailed {
			ev.Type, ev.Detail = inbox.EventMessageFailed, u.Error
			evs = append(evs, ev)
		}
		eng.Publish(evs...)
	}
	return outcome, nil
}
