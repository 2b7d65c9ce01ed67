package vonage

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/httpintake/intaketest"
)

// testEnv is an engine over memstore with an in-memory blob store.
type testEnv = intaketest.Env

const testTenant = intaketest.Tenant

func newTestEnv(t *testing.T, now time.Time) *testEnv { return intaketest.NewEnv(t, now) }

// decodeReply reads a webhook JSON answer.
func decodeReply(t *testing.T, rec *httptest.ResponseRecorder) reply {
	return intaketest.DecodeReply(t, rec)
}

// addOutbound stores a message we sent, as the outbox would after a
// successful send.
func addOutbound(t *testing.T, e *testEnv, integrationID, providerID string, state inbox.DeliveryState) string {
	t.Helper()
	var id string
	require.NoError(t, e.Store.Update(context.Background(), testTenant, func(tx driver.Tx) error {
		conv := inbox.Conversation{TenantID: testTenant, Source: inbox.SourceWhatsApp, IntegrationID: integrationID, Status: inbox.StatusOpen}
		if err := tx.CreateConversation(&conv); err != nil {
			return err
		}
		m := inbox.Message{TenantID: testTenant, ConversationID: conv.ID, IntegrationID: integrationID, Source: inbox.SourceWhatsApp,
			Direction: inbox.DirectionOut, Author: inbox.AuthorAgent, ProviderID: providerID, Text: "Your parcel ships today",
			Delivery: state, DedupeKeys: []string{"o:" + providerID}}
		if err := tx.InsertMessage(&m); err != nil {
			return err
		}
		id = m.ID
		return nil
	}))
	return id
}

// expectedStatus is the HTTP status a refused vector must get.
func expectedStatus(class string) int {
	switch class {
	case "empty_body":
		return 400
	case "body_too_large":
		return 413
	case "replay":
		return 200
	}
	return 401
}
