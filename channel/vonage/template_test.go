package vonage_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/channel/vonage"
	"github.com/inboxkit/inboxkit/inbox"
)

var orderReady = []inbox.Template{
	{Name: "order_ready", Locale: "fr", Body: "Bonjour {{1}}, votre commande {{2}} est prête.", Parameters: 2},
	{Name: "order_ready", Locale: "en_GB", Body: "Hello {{1}}, your order {{2}} is ready.", Parameters: 2},
	{Name: "call_back", Locale: "fr", Body: "Nous avons essayé de vous joindre, rappelez-nous.", Parameters: 0},
}

func templateOutbound(lastInbound time.Time, choice inbox.TemplateChoice) inbox.Outbound {
	out := waOutbound(lastInbound)
	out.Message.Text = ""
	out.Message.Template = &choice
	return out
}

func TestWhatsAppSendTemplate(t *testing.T) {
	now := time.Date(2025, 1, 2, 12, 0, 0, 0, time.UTC)
	key := newRSAKey(t)
	tests := []struct {
		name    string
		choice  inbox.TemplateChoice
		last    time.Time
		reply   func(n int) (int, string)
		wantErr error
		notErr  error
		want    map[string]any
	}{
		{name: "outside the window", choice: inbox.TemplateChoice{Name: "order_ready", Locale: "fr", Parameters: []string{"Anna", "A-1042"}},
			last: now.Add(-72 * time.Hour),
			want: map[string]any{"message_type": "template", "channel": "whatsapp", "to": "447700900123", "from": "447700900000", "client_ref": "msg-1",
				"template": map[string]any{"name": "order_ready", "parameters": []any{"Anna", "A-1042"}},
				"whatsapp": map[string]any{"policy": "deterministic", "locale": "fr"}}},
		{name: "customer never wrote", choice: inbox.TemplateChoice{Name: "call_back"},
			want: map[string]any{"message_type": "template", "channel": "whatsapp", "to": "447700900123", "from": "447700900000", "client_ref": "msg-1",
				"template": map[string]any{"name": "call_back"}, "whatsapp": map[string]any{"policy": "deterministic", "locale": "fr"}}},
		{name: "unknown template", choice: inbox.TemplateChoice{Name: "promo"}, wantErr: inbox.ErrInvalid},
		{name: "locale not approved", choice: inbox.TemplateChoice{Name: "order_ready", Locale: "de", Parameters: []string{"a", "b"}}, wantErr: inbox.ErrInvalid},
		{name: "ambiguous locale", choice: inbox.TemplateChoice{Name: "order_ready", Parameters: []string{"a", "b"}}, wantErr: inbox.ErrInvalid},
		{name: "too few parameters", choice: inbox.TemplateChoice{Name: "order_ready", Locale: "fr", Parameters: []string{"Anna"}}, wantErr: inbox.ErrInvalid},
		{name: "parameter with a line break", choice: inbox.TemplateChoice{Name: "order_ready", Locale: "fr", Parameters: []string{"Anna\nB", "1"}}, wantErr: inbox.ErrInvalid},
		{name: "template refused by the provider is not a window problem", choice: inbox.TemplateChoice{Name: "call_back"},
			reply: func(int) (int, string) {
				return 422, `{"type":"https://developer.nexmo.com/api-errors/messages-olympus#1020","title":"Invalid params","detail":"Template name does not exist in the translation"}`
			},
			wantErr: inbox.ErrInvalid, notErr: vonage.ErrTemplateRequired},
		{name: "rate limited is temporary", choice: inbox.TemplateChoice{Name: "call_back"}, wantErr: inbox.ErrTemporary,
			reply: func(int) (int, string) { return 429, `{"title":"Rate Limit Hit"}` }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, ch := sendingWhatsApp(t, key, now, tt.reply, func(o *vonage.WhatsAppChannelOptions) { o.Templates = orderReady })
			id, err := ch.Send(context.Background(), templateOutbound(tt.last, tt.choice))
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				if tt.notErr != nil {
					require.NotErrorIs(t, err, tt.notErr)
				}
				require.NotContains(t, err.Error(), "447700900123")
				if tt.reply == nil {
					require.Empty(t, fake.requests, "refused before reaching Vonage")
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, "uuid-1", id)
			require.Len(t, fake.requests, 1)
			require.Equal(t, tt.want, fake.requests[0])
		})
	}
}

func TestWhatsAppFactoryGivesTheIntegrationsTemplates(t *testing.T) {
	key := newRSAKey(t)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	fake := &fakeMessagesAPI{t: t, key: &key.PublicKey, appID: "app-1"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	factory := vonage.WhatsAppFactory(vonage.WhatsAppFactoryOptions{BaseURL: srv.URL})
	in := inbox.Integration{ID: "int-wa", Kind: inbox.SourceWhatsApp, Config: map[string]string{"from": "447700900000", "application_id": "app-1"},
		Templates: orderReady}
	ch, err := factory(context.Background(), in, func(string) ([]byte, error) { return pemKey, nil })
	require.NoError(t, err)
	out := templateOutbound(time.Now().Add(-48*time.Hour), inbox.TemplateChoice{Name: "order_ready", Locale: "en_GB", Parameters: []string{"Anna", "A-1042"}})
	_, err = ch.(inbox.Sender).Send(context.Background(), out)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"policy": "deterministic", "locale": "en_GB"}, fake.requests[0]["whatsapp"])
}
