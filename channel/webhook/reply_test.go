package webhook_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/channel/webhook"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/inboxtest"
	"github.com/inboxkit/inboxkit/inbox/seal"
)

const replySecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// replySink is the host's endpoint: it verifies each request like any
// Standard Webhooks receiver and answers with the next status.
type replySink struct {
	mu       sync.Mutex
	statuses []int
	got      []webhook.ReplyPayload
	ids      []string
	bad      []error
}

func (s *replySink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	sec, _ := webhook.ParseSecret(replySecret)
	v, err := webhook.VerifyStandard(r.Header, body, []webhook.Secret{sec}, time.Now(), 0)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.bad = append(s.bad, err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	status := http.StatusOK
	if len(s.statuses) > 0 {
		status, s.statuses = s.statuses[0], s.statuses[1:]
	}
	var p webhook.ReplyPayload
	if err := json.Unmarshal(body, &p); err != nil {
		s.bad = append(s.bad, err)
	}
	s.got = append(s.got, p)
	s.ids = append(s.ids, v.ID)
	w.WriteHeader(status)
	if status == http.StatusOK {
		_, _ = w.Write([]byte(`{"id":"crm-msg-9"}`))
	}
}

func TestRepliesToACustomWebhookConversationAreSignedEvents(t *testing.T) {
	sink := &replySink{statuses: []int{http.StatusServiceUnavailable}}
	srv := httptest.NewServer(sink)
	t.Cleanup(srv.Close)
	sealer, err := seal.New(seal.Options{Keys: []seal.Key{{ID: "k1", Material: bytes.Repeat([]byte{3}, 32)}}})
	require.NoError(t, err)
	env := inboxtest.New(t, inboxtest.Options{Engine: inbox.Options{
		Sealer:   sealer,
		Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceWebhook: webhook.Factory(webhook.FactoryOptions{AllowHTTP: true})},
		Schemas:  map[inbox.Source]inbox.IntegrationSchema{inbox.SourceWebhook: webhook.Schema},
	}})
	name := "CRM portal"
	in, err := env.Engine.CreateIntegration(env.Ctx, env.Tenant, inbox.IntegrationChange{Kind: inbox.SourceWebhook, Name: &name,
		Config: map[string]string{webhook.ConfigURL: srv.URL + "/replies"}, Secrets: map[string]string{webhook.SecretSigning: replySecret}, Test: true},
		inbox.Change{Actor: "admin"})
	require.NoError(t, err)

	msg, err := webhook.ParseMessage([]byte(`{"external_id":"t-1","channel":"portal","thread_key":"ticket-77",
		"from":{"id":"cust-5","name":"Ada","email":"ada@example.com"},"text":"My order is late"}`))
	require.NoError(t, err)
	res, err := env.Engine.Ingest(env.Ctx, env.Tenant, []inbox.Inbound{msg.Inbound(in.ID, nil)})
	require.NoError(t, err)
	conv := res.Items[0].ConversationID
	reply, err := env.Engine.Reply(env.Ctx, env.Tenant, conv, inbox.ReplyRequest{Text: "It leaves today."}, inbox.Change{Actor: "agent-1"})
	require.NoError(t, err)

	// 503 first: retried later with the same webhook-id.
	_, err = env.Engine.DeliverOutbox(env.Ctx, env.Tenant)
	require.NoError(t, err)
	env.Events.Wait(t, inboxtest.OfType(inbox.EventMessageDelayed))
	env.Clock.Advance(time.Hour)
	_, err = env.Engine.DeliverOutbox(env.Ctx, env.Tenant)
	require.NoError(t, err)
	env.Events.Wait(t, inboxtest.OfType(inbox.EventMessageSent))

	sink.mu.Lock()
	defer sink.mu.Unlock()
	require.Empty(t, sink.bad, "every request is correctly signed")
	require.Len(t, sink.got, 2)
	require.Equal(t, sink.ids[0], sink.ids[1], "a retry keeps its webhook-id")
	p := sink.got[1]
	require.Equal(t, webhook.EventMessageReply, p.Type)
	require.Equal(t, reply.ID, p.Data.ID)
	require.Equal(t, conv, p.Data.ConversationID)
	require.Equal(t, "ticket-77", p.Data.ThreadKey)
	require.Equal(t, "t-1", p.Data.InReplyTo)
	require.Equal(t, "cust-5", p.Data.To.ID)
	require.Equal(t, "It leaves today.", p.Data.Text)
	stored, err := env.Engine.Message(env.Ctx, env.Tenant, reply.ID)
	require.NoError(t, err)
	require.Equal(t, "crm-msg-9", stored.ProviderID, "the receiver's id is kept")
}

func TestWebhookReplyURLMustBeSafe(t *testing.T) {
	sealer, err := seal.New(seal.Options{Keys: []seal.Key{{ID: "k1", Material: bytes.Repeat([]byte{3}, 32)}}})
	require.NoError(t, err)
	env := inboxtest.New(t, inboxtest.Options{Engine: inbox.Options{
		Sealer:   sealer,
		Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceWebhook: webhook.Factory(webhook.FactoryOptions{})},
		Schemas:  map[inbox.Source]inbox.IntegrationSchema{inbox.SourceWebhook: webhook.Schema},
	}})
	name := "x"
	for _, u := range []string{"http://10.0.0.5/hook", "ftp://example.com/", "https://user:Hunter2Secret@example.com/", "not a url", "http://127.0.0.1:9/"} {
		_, err := env.Engine.CreateIntegration(env.Ctx, env.Tenant, inbox.IntegrationChange{Kind: inbox.SourceWebhook, Name: &name,
			Config: map[string]string{webhook.ConfigURL: u}, Secrets: map[string]string{webhook.SecretSigning: replySecret}, Test: true},
			inbox.Change{Actor: "admin"})
		require.ErrorIs(t, err, inbox.ErrInvalid, u)
		require.NotContains(t, err.Error(), "Hunter2Secret", "no credentials in errors")
	}
	_, err = env.Engine.CreateIntegration(env.Ctx, env.Tenant, inbox.IntegrationChange{Kind: inbox.SourceWebhook, Name: &name,
		Secrets: map[string]string{webhook.SecretSigning: "not-a-secret"}}, inbox.Change{Actor: "admin"})
	require.ErrorIs(t, err, inbox.ErrInvalid, "a signing secret must be a whsec_ secret")
}
