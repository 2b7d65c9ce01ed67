package webhook_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/channel/webhook"
	"github.com/inboxkit/inboxkit/inbox"
)

func TestParseMessageErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name, body, field string
	}{
		{"empty", ``, "body"},
		{"not json", `{"external_id":`, "body"},
		{"array", `[1,2]`, "body"},
		{"invalid utf-8", "{\"external_id\":\"a\xff\"}", "body"},
		{"two values", `{"external_id":"a","channel":"x","from":{"id":"u"},"text":"t"} {}`, "body"},
		{"missing external_id", `{"channel":"form","from":{"id":"u"},"text":"hi"}`, "external_id"},
		{"external_id wrong type", `{"external_id":12,"channel":"form","from":{"id":"u"},"text":"hi"}`, "external_id"},
		{"missing channel", `{"external_id":"x","from":{"id":"u"},"text":"hi"}`, "channel"},
		{"anonymous sender", `{"external_id":"x","channel":"form","from":{"name":"Bob"},"text":"hi"}`, "from"},
		{"bad email", `{"external_id":"x","channel":"form","from":{"email":"not-an-address"},"text":"hi"}`, "from.email"},
		{"bad phone", `{"external_id":"x","channel":"form","from":{"phone":"call me"},"text":"hi"}`, "from.phone"},
		{"nothing to say", `{"external_id":"x","channel":"form","from":{"id":"u"},"text":"  "}`, "text"},
		{"bad sent_at", `{"external_id":"x","channel":"form","from":{"id":"u"},"text":"hi","sent_at":"yesterday"}`, "sent_at"},
		{"attachment without name", `{"external_id":"x","channel":"form","from":{"id":"u"},"attachments":[{"url":"https://a.example/x"}]}`, "attachments[0].filename"},
		{"attachment with both sources", `{"external_id":"x","channel":"form","from":{"id":"u"},"attachments":[{"filename":"a","url":"https://a.example/x","data_base64":"aGk="}]}`, "attachments[0]"},
		{"attachment not base64", `{"external_id":"x","channel":"form","from":{"id":"u"},"attachments":[{"filename":"a","data_base64":"%%%"}]}`, "attachments[0].data_base64"},
		{"from wrong type", `{"external_id":"x","channel":"form","from":"bob","text":"hi"}`, "from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := webhook.ParseMessage([]byte(tt.body))
			require.ErrorIs(t, err, inbox.ErrInvalid)
			var fe *inbox.FieldError
			require.True(t, errors.As(err, &fe), "%v", err)
			require.Equal(t, tt.field, fe.Field, "%v", err)
		})
	}
}

func TestParseMessageToInbound(t *testing.T) {
	m, err := webhook.ParseMessage([]byte(`{"external_id":"crm-1","channel":"email","from":{"id":"cust_1","name":"Amélie","email":"amelie@example.fr","phone":null},
		"to":"support@inbox.example.com","subject":"Facture","text":"Bonjour","html":"<p onclick=\"x()\">Bonjour<script>alert(1)</script></p>",
		"attachments":[],"sent_at":"2025-01-01T13:59:00+01:00","thread_key":"invoice-1","extra":"ignored"}`))
	require.NoError(t, err)
	in := m.Inbound("int-1", func(s string) string { return "<p>Bonjour</p>" })
	require.Equal(t, inbox.Inbound{
		IntegrationID: "int-1", Source: inbox.SourceWebhook, Channel: "email", ProviderID: "crm-1", ThreadKey: "invoice-1",
		From:    inbox.Party{ID: "cust_1", Name: "Amélie", Email: "amelie@example.fr"},
		To:      []inbox.Party{{Email: "support@inbox.example.com"}},
		Subject: "Facture", Text: "Bonjour", HTML: "<p>Bonjour</p>",
		SentAt: time.Date(2025, 1, 1, 12, 59, 0, 0, time.UTC),
	}, in)
}
