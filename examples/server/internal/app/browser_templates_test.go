package app_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/examples/server/internal/app"
	"github.com/inboxkit/inboxkit/examples/server/internal/demo"
	"github.com/inboxkit/inboxkit/inbox"
)

// fakeMessagesAPI speaks the Vonage Messages API's POST /v1/messages: it
// checks the application JWT (RS256, the application id) and answers 202
// with a message_uuid, keeping each request body.
type fakeMessagesAPI struct {
	key   *rsa.PublicKey
	appID string
	mu    sync.Mutex
	sent  []map[string]any
}

func (f *fakeMessagesAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/messages" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return f.key, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired()); err != nil || claims["application_id"] != f.appID {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"type":"https://developer.nexmo.com/api-errors#unauthorized","title":"Unauthorized"}`))
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.sent = append(f.sent, body)
	f.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"message_uuid":"aaaaaaaa-bbbb-cccc-dddd-0123456789ab"}`))
}

func (f *fakeMessagesAPI) requests() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.sent...)
}

// TestBrowserWhatsAppTemplate: an admin declares the WhatsApp number's
// approved templates; on a conversation whose 24-hour window is closed the
// agent cannot type free text, picks a template, fills its fields while
// the preview shows the message, and sends it. Vonage receives a template
// message and the thread shows the text the customer reads.
func TestBrowserWhatsAppTemplate(t *testing.T) {
	ctx := browser(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	vonageAPI := &fakeMessagesAPI{key: &key.PublicKey, appID: "app-templates"}
	fake := httptest.NewServer(vonageAPI)
	t.Cleanup(fake.Close)
	a, ts := newServerWith(t, func(c *app.Config) { c.VonageMessagesURL = fake.URL })

	api := admin(t, ts.URL)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	templates := []inbox.Template{
		{Name: "order_ready", Locale: "fr", Body: "Bonjour {{1}}, votre commande {{2}} est prête en boutique.", Parameters: 2},
	}
	var in struct {
		ID        string           `json:"id"`
		Templates []inbox.Template `json:"templates"`
	}
	api.json(http.MethodPost, "/inbox/integrations?test=false", map[string]any{
		"kind": "whatsapp", "name": "WhatsApp atelier",
		"config":    map[string]string{"from": "+33 1 84 00 00 77", "application_id": "app-templates"},
		"secrets":   map[string]string{"private_key": string(pemKey), "signature_secret": "whatsapp-signature-secret-0123456789"},
		"templates": templates,
	}, http.StatusCreated, &in)
	require.Equal(t, templates, in.Templates)
	p := api.problem(http.MethodPatch, "/inbox/integrations/"+in.ID, map[string]any{
		"templates": []inbox.Template{{Name: "promo", Locale: "fr", Body: "{{2}}", Parameters: 1}}}, http.StatusBadRequest)
	require.Contains(t, p.Errors[0].Reason, "uses {{2}} but the template declares 1 parameters")

	_, err = a.Engine.Ingest(context.Background(), demo.TenantID, []inbox.Inbound{
		{IntegrationID: in.ID, Source: inbox.SourceWhatsApp, ProviderID: "wa-template-1", From: inbox.Party{Name: "Yann Keller", Phone: "+33788776655"},
			Text: "Ma commande est-elle prête ?", SentAt: time.Now().Add(-50 * time.Hour)},
	})
	require.NoError(t, err)

	// The admin declares another approved template in Settings.
	logIn(t, ctx, ts.URL, demo.Employees[0])
	do(t, ctx, "settings", chromedp.Navigate(ts.URL+"/#/settings"))
	click(t, ctx, ".settings-nav [data-section=integrations]")
	click(t, ctx, `[data-templates="`+in.ID+`"]`)
	waitJS(t, ctx, "templates listed", `document.querySelector('#template-list')?.textContent.includes('order_ready (fr)')`)
	do(t, ctx, "a body with a gap", chromedp.SendKeys(chromedp.ID("template-name"), "call_back"),
		chromedp.SendKeys(chromedp.ID("template-body"), "Rappelez-nous au {{2}}."))
	click(t, ctx, "#template-add")
	waitJS(t, ctx, "plain error", `document.querySelector('#templates-card .field-error')?.textContent === 'The fields of the text must be numbered {{1}}, {{2}}… without gaps.'`)
	eval[bool](t, ctx, `(document.querySelector('#template-body').value = '', true)`)
	do(t, ctx, "fixed body", chromedp.SendKeys(chromedp.ID("template-body"), "Nous avons essayé de vous joindre : rappelez-nous quand vous voulez."))
	click(t, ctx, "#template-add")
	waitJS(t, ctx, "template added", `document.querySelector('#template-list')?.textContent.includes('call_back (fr)') && document.querySelector('[data-templates="`+in.ID+`"]').textContent === 'Templates (2)'`)
	screenshot(t, ctx, artefacts(t), "27-settings-whatsapp-templates")
	api.json(http.MethodGet, "/inbox/integrations/"+in.ID, nil, http.StatusOK, &in)
	require.Equal(t, inbox.Template{Name: "call_back", Locale: "fr", Body: "Nous avons essayé de vous joindre : rappelez-nous quand vous voulez."}, in.Templates[1])

	do(t, ctx, "inbox", chromedp.Navigate(ts.URL+"/#/inbox"))
	openRow(t, ctx, "Yann Keller")
	waitJS(t, ctx, "window closed: free text off, template picker on", `document.querySelector('#channel-info')?.textContent.includes('24-hour reply window closed')
		&& document.querySelector('#composer-text').disabled && !document.querySelector('#template-picker').hidden
		&& document.querySelector('#send-btn').disabled && document.querySelectorAll('#template-select option').length === 3`)

	setSelect(t, ctx, "#template-select", "order_ready|fr")
	waitJS(t, ctx, "one field per placeholder", `document.querySelectorAll('.template-param-input').length === 2 && document.querySelector('#template-preview').textContent === 'Bonjour [1], votre commande [2] est prête en boutique.' && document.querySelector('#send-btn').disabled`)
	do(t, ctx, "fill the fields",
		chromedp.SendKeys(chromedp.CSS(`.template-param-input[data-n="1"]`), "Yann"),
		chromedp.SendKeys(chromedp.CSS(`.template-param-input[data-n="2"]`), "A-1042"))
	waitJS(t, ctx, "preview reads as sent", `document.querySelector('#template-preview').textContent === 'Bonjour Yann, votre commande A-1042 est prête en boutique.' && !document.querySelector('#send-btn').disabled`)
	screenshot(t, ctx, artefacts(t), "28-composer-whatsapp-template")
	click(t, ctx, "#send-btn")
	waitJS(t, ctx, "the thread shows the template's text", `[...document.querySelectorAll('.msg.out')].some(m => m.querySelector('.msg-text').textContent === 'Bonjour Yann, votre commande A-1042 est prête en boutique.' && m.querySelector('.msg-template')?.textContent.includes('order_ready'))`)

	var sent []map[string]any
	require.Eventually(t, func() bool { sent = vonageAPI.requests(); return len(sent) > 0 }, 20*time.Second, 50*time.Millisecond, "the outbox sends the template")
	require.Equal(t, map[string]any{
		"message_type": "template", "channel": "whatsapp", "to": "33788776655", "from": "33184000077", "client_ref": sent[0]["client_ref"],
		"template": map[string]any{"name": "order_ready", "parameters": []any{"Yann", "A-1042"}},
		"whatsapp": map[string]any{"policy": "deterministic", "locale": "fr"},
	}, sent[0])
	waitJS(t, ctx, "delivery shown", `[...document.querySelectorAll('.msg.out .delivery')].some(d => d.textContent === 'sent')`)
}
