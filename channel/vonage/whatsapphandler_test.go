package vonage

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/httpintake/intaketest"
)

// fakeMedia emulates Vonage's media server for every host: it serves the
// files registered by path and checks the bearer token.
type fakeMedia struct {
	mu       sync.Mutex
	files    map[string]mediaFile
	requests []string
}

type mediaFile struct {
	status      int
	contentType string
	body        []byte
}

func (m *fakeMedia) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	m.mu.Lock()
	m.requests = append(m.requests, r.URL.String())
	f, ok := m.files[r.URL.Path]
	m.mu.Unlock()
	switch {
	case r.Header.Get("Authorization") != "Bearer media-token":
		rec.WriteHeader(http.StatusUnauthorized)
	case !ok:
		rec.WriteHeader(http.StatusNotFound)
	default:
		if f.contentType != "" {
			rec.Header().Set("Content-Type", f.contentType)
		}
		if f.status != 0 {
			rec.WriteHeader(f.status)
		}
		_, _ = rec.Write(f.body)
	}
	return rec.Result(), nil
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 4, 4))))
	return buf.Bytes()
}

func newFakeMedia(t *testing.T) *fakeMedia {
	return &fakeMedia{files: map[string]mediaFile{
		"/v3/media/7ef0a641-3f61-4184-9da5-f49eeffdf752": {contentType: "image/png", body: pngBytes(t)},
		"/v3/media/7fc3fb80-3bf8-4b32-96c3-369aaab83cd1": {contentType: "application/pdf", body: []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")},
	}}
}

func waTarget(secret string) Target {
	return Target{Tenant: testTenant, Integration: inbox.Integration{ID: "int-wa", TenantID: testTenant, Kind: inbox.SourceWhatsApp}, Secret: []byte(secret)}
}

func newWhatsAppReceiver(t *testing.T, env *testEnv, target Target, media *fakeMedia, mutate func(*WhatsAppOptions)) *WhatsAppReceiver {
	t.Helper()
	opts := WhatsAppOptions{
		Resolve: StaticResolver(target),
		Media: MediaOptions{
			Client: &http.Client{Transport: media},
			Token:  func(context.Context, Target) (string, error) { return "media-token", nil },
		},
	}
	if mutate != nil {
		mutate(&opts)
	}
	h, err := NewWhatsAppReceiver(env.Eng, opts)
	require.NoError(t, err)
	return h
}

func TestWhatsAppReceiverVectors(t *testing.T) {
	f := loadVectors(t)
	byName := f.ByName()
	want := map[string]struct {
		text, source, contentType, filename, inReplyTo string
	}{
		"inbound-text":                 {text: "Hello, is my order 1234 on its way?", source: "whatsapp"},
		"inbound-text-unicode":         {source: "whatsapp"},
		"inbound-image":                {text: "Photo of the damaged parcel", source: "whatsapp", contentType: "image/png", filename: "image.png"},
		"inbound-file":                 {text: "see attached", source: "whatsapp", contentType: "application/pdf", filename: "invoice-2024-1187.pdf"},
		"inbound-location":             {text: "Location: Vonage London, 15 Bonhill St, London EC2A 4DN (51.5216,-0.0937)", source: "whatsapp"},
		"inbound-reply-with-context":   {text: "Tuesday 10:00 — Morning delivery window", source: "whatsapp", inReplyTo: "a47486de-756d-4dbf-8d67-f9144fb0be53"},
		"inbound-text-quoting-context": {text: "Yes, that one Tom & Jerry: a=b&c=d => ok?", source: "whatsapp", inReplyTo: "ee886424-d94c-43a3-8f3e-c764d1352460"},
		"inbound-via-messages-api":     {text: "Hello, is my order 1234 on its way?", source: "sms"},
	}
	for _, v := range f.Vectors {
		if v.Kind != "vonage-messages-jwt" {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			env := newTestEnv(t, v.Clock())
			media := newFakeMedia(t)
			var logs bytes.Buffer
			h := newWhatsAppReceiver(t, env, waTarget(v.Secret), media, func(o *WhatsAppOptions) {
				o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			})
			if v.ReplayOf != "" {
				rec := serve(h, byName[v.ReplayOf].HTTPRequest("/wa"))
				require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			}
			rec := serve(h, v.HTTPRequest("/wa"))
			body := decodeReply(t, rec)
			require.NotContains(t, rec.Body.String(), v.Secret)
			require.NotContains(t, logs.String(), v.Secret)
			msgs := env.Messages(t)
			if !v.Valid {
				require.Equal(t, expectedStatus(v.ExpectError), rec.Code, rec.Body.String())
				if v.ExpectError == "replay" {
					require.Equal(t, "duplicate", body.Status)
					require.Len(t, msgs, 1)
					return
				}
				require.Contains(t, acceptableCodes(v.ExpectError), ErrorCode(body.Error), rec.Body.String())
				require.Empty(t, msgs, "nothing is stored on rejection")
				require.Zero(t, env.Blobs.Count())
				require.Empty(t, media.requests, "no media is fetched for a refused request")
				return
			}
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			if strings.Contains(v.Name, "/status-") {
				require.Equal(t, "ignored", body.Status, "no outbound message has this uuid")
				require.Empty(t, msgs)
				return
			}
			require.Equal(t, "stored", body.Status)
			require.Len(t, msgs, 1)
			m := msgs[0]
			var wire struct {
				UUID    string `json:"message_uuid"`
				From    string `json:"from"`
				Text    string `json:"text"`
				Profile struct{ Name string }
			}
			require.NoError(t, json.Unmarshal(v.Body(), &wire))
			require.Equal(t, wire.UUID, m.ProviderID)
			require.Equal(t, wire.From, m.From.Phone)
			require.Equal(t, wire.Profile.Name, m.From.Name)
			require.NotContains(t, logs.String(), wire.From, "phone numbers are masked in logs")
			key := v.Name[strings.LastIndex(v.Name, "/")+1:]
			exp, ok := want[key]
			if !ok {
				exp.source = "whatsapp" // plain text: compared with the body's text below
			}
			require.Equal(t, inbox.Source(exp.source), m.Source)
			switch {
			case exp.text != "":
				require.Equal(t, exp.text, m.Text)
			default:
				require.Equal(t, wire.Text, m.Text)
			}
			require.Equal(t, exp.inReplyTo, m.InReplyTo)
			if exp.contentType == "" {
				require.Empty(t, m.Attachments)
				return
			}
			require.Len(t, m.Attachments, 1)
			a := m.Attachments[0]
			require.Empty(t, a.Rejected)
			require.Equal(t, exp.contentType, a.ContentType)
			require.Equal(t, exp.filename, a.Filename)
			require.NotEmpty(t, a.BlobKey)
			require.True(t, strings.HasPrefix(a.BlobKey, "t1/attachment/"))
			rc, err := env.Blobs.Get(context.Background(), a.BlobKey)
			require.NoError(t, err)
			rc.Close()
			require.Equal(t, 1, env.Blobs.Count())
		})
	}
}

// signMessages signs body as the Messages API does, issued at iat.
func signMessages(t *testing.T, secret string, body []byte, iat time.Time, jti string) string {
	t.Helper()
	return intaketest.MessagesAuthorization(secret, body, iat, jti)
}

func messagesRequest(t *testing.T, secret, body string, now time.Time) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/wa", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", signMessages(t, secret, []byte(body), now, inbox.NewID()))
	return r
}

func TestWhatsAppStatusCallbacks(t *testing.T) {
	const secret = "messages-signature-secret"
	now := time.Date(2025, 1, 1, 13, 0, 0, 0, time.UTC)
	env := newTestEnv(t, now)
	h := newWhatsAppReceiver(t, env, waTarget(secret), newFakeMedia(t), nil)
	sent := addOutbound(t, env, "int-wa", "uuid-sent", inbox.DeliverySent)
	other := addOutbound(t, env, "int-wa", "uuid-other", inbox.DeliverySent)
	status := func(uuid, status, extra string) string {
		return `{"message_uuid":"` + uuid + `","to":"447700900123","from":"447700900000","timestamp":"2025-01-01T12:59:58Z","status":"` + status + `","channel":"whatsapp"` + extra + `}`
	}
	steps := []struct {
		body    string
		outcome string
		id      string
		want    inbox.DeliveryState
	}{
		{status("uuid-sent", "submitted", ""), "unchanged", sent, inbox.DeliverySent},
		{status("uuid-sent", "delivered", ""), "updated", sent, inbox.DeliveryDelivered},
		{status("uuid-sent", "read", ""), "updated", sent, inbox.DeliveryRead},
		{status("uuid-sent", "delivered", ""), "unchanged", sent, inbox.DeliveryRead},
		{status("uuid-sent", "rejected", ""), "unchanged", sent, inbox.DeliveryRead},
		{status("uuid-other", "rejected", `,"error":{"type":"https://developer.nexmo.com/api-errors/messages-olympus#1330","title":1330,"detail":"The recipient is not a WhatsApp user"}`), "updated", other, inbox.DeliveryFailed},
		{status("uuid-unknown", "delivered", ""), "ignored", "", ""},
	}
	for i, s := range steps {
		rec := serve(h, messagesRequest(t, secret, s.body, now))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		require.Equal(t, s.outcome, decodeReply(t, rec).Status, "step %d", i)
		if s.id != "" {
			require.Equal(t, s.want, env.Message(t, s.id).Delivery, "step %d", i)
		}
	}
	failed := env.Message(t, other)
	require.Contains(t, failed.DeliveryError, "1330: The recipient is not a WhatsApp user")
	var audit []inbox.AuditEntry
	require.NoError(t, env.Store.View(context.Background(), testTenant, func(tx driver.Tx) error {
		var err error
		audit, err = tx.ListAudit(inbox.AuditQuery{EntityID: sent})
		return err
	}))
	require.Len(t, audit, 2, "delivered and read are audited")
}

func TestWhatsAppMediaValidation(t *testing.T) {
	const secret = "messages-signature-secret"
	now := time.Date(2025, 1, 1, 13, 0, 0, 0, time.UTC)
	image := func(uuid, url string) string {
		return `{"channel":"whatsapp","message_uuid":"` + uuid + `","to":"447700900000","from":"447700900123","timestamp":"2025-01-01T12:59:58Z","message_type":"image","image":{"url":"` + url + `","caption":"look"}}`
	}
	tests := []struct {
		name     string
		file     *mediaFile
		url      string
		maxBytes int64
		rejected string
		status   int
	}{
		{name: "host not allowed", url: "https://attacker.example/v3/media/x", rejected: "media host attacker.example is not allowed"},
		{name: "plain http", url: "http://api.nexmo.com/v3/media/x", rejected: "media url is not https"},
		{name: "ip address does not match a domain", url: "https://127.0.0.1.nexmo.com.evil/v3/media/x", rejected: "is not allowed"},
		{name: "html declared as image", file: &mediaFile{contentType: "image/png", body: []byte("<html><script>alert(1)</script></html>")}, rejected: "content is text/html, not the declared image/png"},
		{name: "pdf declared as image", file: &mediaFile{contentType: "image/png", body: []byte("%PDF-1.4\n%%EOF\n")}, rejected: "content is application/pdf, not the declared image/png"},
		{name: "too large", file: &mediaFile{contentType: "image/png", body: append(pngBytes(t), make([]byte, 4096)...)}, maxBytes: 1024, rejected: "larger than the 1024-byte limit"},
		{name: "gone", file: &mediaFile{status: http.StatusGone}, rejected: "HTTP 410"},
		{name: "media server down", file: &mediaFile{status: http.StatusBadGateway}, status: http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, now)
			media := newFakeMedia(t)
			url := tt.url
			if tt.file != nil {
				media.files["/v3/media/test"] = *tt.file
				url = "https://api-eu.vonage.com/v3/media/test"
			}
			h := newWhatsAppReceiver(t, env, waTarget(secret), media, func(o *WhatsAppOptions) { o.Media.MaxBytes = tt.maxBytes })
			rec := serve(h, messagesRequest(t, secret, image("uuid-1", url), now))
			if tt.status != 0 {
				require.Equal(t, tt.status, rec.Code, rec.Body.String())
				require.Empty(t, env.Messages(t), "the provider retries; nothing is stored")
				require.Zero(t, env.Blobs.Count())
				return
			}
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			msgs := env.Messages(t)
			require.Len(t, msgs, 1, "the message is kept without its media")
			require.Equal(t, "look", msgs[0].Text)
			require.Len(t, msgs[0].Attachments, 1)
			require.Contains(t, msgs[0].Attachments[0].Rejected, tt.rejected)
			require.Empty(t, msgs[0].Attachments[0].BlobKey)
			require.Zero(t, env.Blobs.Count(), "refused media leaves no blob")
		})
	}
}

func TestWhatsAppStorageFailureLeavesNothing(t *testing.T) {
	v := loadVectorByName(t, "vonage-messages-jwt/whatsapp/inbound-image")
	env := newTestEnv(t, v.Clock())
	media := newFakeMedia(t)
	h := newWhatsAppReceiver(t, env, waTarget(v.Secret), media, nil)
	env.Store.Failing.Store(true)
	rec := serve(h, v.HTTPRequest("/wa"))
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.Zero(t, env.Blobs.Count(), "the downloaded media is removed")

	env.Store.Failing.Store(false)
	rec = serve(h, v.HTTPRequest("/wa"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Len(t, env.Messages(t), 1)
	require.Equal(t, 1, env.Blobs.Count())

	// The same message again under a new token: a duplicate, found
	// before its media is downloaded a third time.
	downloads := len(media.requests)
	rec = serve(h, messagesRequest(t, v.Secret, string(v.Body()), v.Clock()))
	require.Equal(t, "duplicate", decodeReply(t, rec).Status)
	require.Equal(t, 1, env.Blobs.Count())
	require.Len(t, media.requests, downloads)
}

func TestWhatsAppBadInput(t *testing.T) {
	const secret = "messages-signature-secret"
	now := time.Date(2025, 1, 1, 13, 0, 0, 0, time.UTC)
	tests := []struct {
		name, body, field string
	}{
		{"invalid utf-8", "{\"channel\":\"whatsapp\",\"message_uuid\":\"u\",\"from\":\"447700900123\",\"message_type\":\"text\",\"text\":\"caf\xe9\"}", "body"},
		{"not json", `{"channel":`, "body"},
		{"unsupported channel", `{"channel":"messenger","message_uuid":"u","from":"447700900123","message_type":"text","text":"hi"}`, "channel"},
		{"image without url", `{"channel":"whatsapp","message_uuid":"u","from":"447700900123","message_type":"image","image":{}}`, "image.url"},
		{"bad coordinates", `{"channel":"whatsapp","message_uuid":"u","from":"447700900123","message_type":"location","location":{"lat":123,"long":0}}`, "location"},
		{"no sender", `{"channel":"whatsapp","message_uuid":"u","message_type":"text","text":"hi"}`, "from"},
		{"bad timestamp", `{"channel":"whatsapp","message_uuid":"u","from":"447700900123","timestamp":"yesterday","message_type":"text","text":"hi"}`, "timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, now)
			h := newWhatsAppReceiver(t, env, waTarget(secret), newFakeMedia(t), nil)
			rec := serve(h, messagesRequest(t, secret, tt.body, now))
			require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
			require.Equal(t, tt.field, decodeReply(t, rec).Field)
			require.Empty(t, env.Messages(t))
		})
	}
}
