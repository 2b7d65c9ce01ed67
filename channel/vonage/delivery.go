package vonage

import (
	"context"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// EventMessageDelivery is published when a provider status callback
// changed an outbound message's delivery state; Detail holds the new
// state. It is inbox.EventMessageDelivery.
const EventMessageDelivery = inbox.EventMessageDelivery

// deliveryUpdate is one status callback to apply.
type deliveryUpdate struct {
	ProviderID string
	State      inbox.DeliveryState
	Error      string // provider error, for failures
	Status     string // the provider's own status word, for the audit trail
}

// recordDelivery applies a status callback through the engine (see
// inbox.Engine.RecordDelivery): "updated", "unchanged" or "ignored".
func recordDelivery(ctx context.Context, eng *inbox.Engine, t Target, u deliveryUpdate, _ time.Time) (string, error) {
	return eng.RecordDelivery(ctx, t.Tenant, inbox.DeliveryUpdate{IntegrationID: t.Integration.ID, ProviderID: u.ProviderID,
		State: u.State, Error: u.Error, Status: u.Status, Actor: "channel:vonage"})
}
