package vonage_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/channel/vonage"
	"github.com/inboxkit/inboxkit/inbox"
)

// fakeSMSAPI emulates the SMS API's POST /sms/json as documented: a form
// request, a JSON reply with one entry per part and a status code each.
type fakeSMSAPI struct {
	mu       sync.Mutex
	requests []map[string]string
	reply    func(form map[string]string) (int, string)
}

func (f *fakeSMSAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/sms/json" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostForm.Get(k)
	}
	f.mu.Lock()
	f.requests = append(f.requests, form)
	f.mu.Unlock()
	status, body := http.StatusOK, `{"message-count":"1","messages":[{"to":"`+form["to"]+`","message-id":"0A0000000123ABCD1","status":"0","remaining-balance":"3.14","message-price":"0.0333","network":"23410"}]}`
	if f.reply != nil {
		status, body = f.reply(form)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func smsOutbound(text string) inbox.Outbound {
	return inbox.Outbound{
		Message: inbox.Message{ID: "msg-1", TenantID: "t1", Text: text},
		Contact: inbox.Contact{Phones: []string{"447700900123"}},
		Thread: []inbox.Message{
			{Direction: inbox.DirectionIn, From: inbox.Party{Phone: "+44 7700 900123"}},
		},
		IdempotencyKey: "outbox-1",
	}
}

func TestSMSSend(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		reply     func(map[string]string) (int, string)
		wantID    string
		wantErr   error
		wantType  string
		errDetail string
	}{
		{name: "gsm text", text: "Your order ships today.", wantID: "0A0000000123ABCD1", wantType: "text"},
		{name: "unicode text", text: "Votre commande part aujourd'hui ✓", wantID: "0A0000000123ABCD1", wantType: "unicode"},
		{name: "multipart reply keeps the first id", text: strings.Repeat("long ", 60), wantType: "text", wantID: "PART1",
			reply: func(f map[string]string) (int, string) {
				return 200, `{"message-count":"2","messages":[{"to":"447700900123","message-id":"PART1","status":"0"},{"to":"447700900123","message-id":"PART2","status":"0"}]}`
			}},
		{name: "throttled is temporary", text: "hi", wantErr: inbox.ErrTemporary, errDetail: "Throughput Rate Exceeded",
			reply: func(map[string]string) (int, string) {
				return 200, `{"message-count":"1","messages":[{"status":"1","error-text":"Throughput Rate Exceeded - please wait [ 10 ] and retry"}]}`
			}},
		{name: "invalid credentials", text: "hi", wantErr: inbox.ErrUnauthorized,
			reply: func(map[string]string) (int, string) {
				return 200, `{"message-count":"1","messages":[{"status":"4","error-text":"Bad Credentials"}]}`
			}},
		{name: "invalid parameters are permanent", text: "hi", wantErr: inbox.ErrInvalid, errDetail: "Missing from param",
			reply: func(map[string]string) (int, string) {
				return 200, `{"message-count":"1","messages":[{"status":"2","error-text":"Missing from param"}]}`
			}},
		{name: "empty messages array does not panic", text: "hi", wantErr: inbox.ErrTemporary,
			reply: func(map[string]string) (int, string) { return 200, `{"message-count":"0","messages":[]}` }},
		{name: "server error is temporary", text: "hi", wantErr: inbox.ErrTemporary,
			reply: func(map[string]string) (int, string) { return 503, `{"error":"unavailable"}` }},
		{name: "unauthorized HTTP", text: "hi", wantErr: inbox.ErrUnauthorized,
			reply: func(map[string]string) (int, string) { return 401, `{"error":"unauthorized"}` }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeSMSAPI{reply: tt.reply}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			api := vonage.NewSDKSMSAPI("a1b2c3d4", "s3cr3t-api-secret", vonage.SDKOptions{BaseURL: srv.URL + "/sms"})
			ch, err := vonage.NewSMSChannel("int-sms", "447700900000", api)
			require.NoError(t, err)

			id, err := ch.Send(context.Background(), smsOutbound(tt.text))
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Contains(t, err.Error(), tt.errDetail)
				require.NotContains(t, err.Error(), "s3cr3t-api-secret")
				require.NotContains(t, err.Error(), "447700900123", "phone numbers are masked in errors")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantID, id)
			require.Len(t, fake.requests, 1)
			got := fake.requests[0]
			require.Equal(t, "a1b2c3d4", got["api_key"])
			require.Equal(t, "447700900000", got["from"])
			require.Equal(t, "447700900123", got["to"])
			require.Equal(t, strings.TrimSpace(tt.text), got["text"])
			require.Equal(t, tt.wantType, got["type"])
			require.Equal(t, "msg-1", got["client-ref"])
		})
	}
}

func TestSMSSendRefusesWhatSMSCannotCarry(t *testing.T) {
	ch, err := vonage.NewSMSChannel("int-sms", "447700900000", vonage.NewSDKSMSAPI("a1b2c3d4", "x", vonage.SDKOptions{BaseURL: "http://127.0.0.1:1/sms"}))
	require.NoError(t, err)
	out := smsOutbound("see attached")
	out.Message.Attachments = []inbox.Attachment{{Filename: "a.pdf"}}
	_, err = ch.Send(context.Background(), out)
	require.ErrorIs(t, err, inbox.ErrUnsupported)

	_, err = ch.Send(context.Background(), smsOutbound("  "))
	require.ErrorIs(t, err, inbox.ErrInvalid)

	out = smsOutbound("hi")
	out.Thread, out.Contact = nil, inbox.Contact{}
	_, err = ch.Send(context.Background(), out)
	require.ErrorIs(t, err, inbox.ErrInvalid)
}

func TestSMSSendNetworkErrorIsTemporary(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more
	ch, err := vonage.NewSMSChannel("int-sms", "447700900000", vonage.NewSDKSMSAPI("a1b2c3d4", "s3cr3t", vonage.SDKOptions{BaseURL: url + "/sms"}))
	require.NoError(t, err)
	_, err = ch.Send(context.Background(), smsOutbound("hi"))
	require.ErrorIs(t, err, inbox.ErrTemporary)
	require.NotContains(t, err.Error(), "s3cr3t")
}

func TestSMSFactory(t *testing.T) {
	fake := &fakeSMSAPI{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	factory := vonage.SMSFactory(vonage.SMSFactoryOptions{BaseURL: srv.URL + "/sms"})
	in := inbox.Integration{ID: "int-sms", Kind: inbox.SourceSMS, Config: map[string]string{"api_key": "a1b2c3d4", "from": "447700900000"}}
	ch, err := factory(context.Background(), in, func(field string) ([]byte, error) {
		require.Equal(t, vonage.SecretAPISecret, field)
		return []byte("s3cr3t"), nil
	})
	require.NoError(t, err)
	require.Equal(t, inbox.SourceSMS, ch.Kind())
	id, err := ch.(inbox.Sender).Send(context.Background(), smsOutbound("hello"))
	require.NoError(t, err)
	require.NotEmpty(t, id)
	require.Equal(t, "s3cr3t", fake.requests[0]["api_secret"])

	_, err = factory(context.Background(), inbox.Integration{ID: "x", Config: map[string]string{}}, nil)
	require.ErrorIs(t, err, inbox.ErrInvalid)
}

// fakeMessagesAPI emulates the Messages API's POST /v1/messages: it
// checks the application JWT (RS256) and answers 202 with a message_uuid,
// or an RFC 7807 problem.
type fakeMessagesAPI struct {
	t        *testing.T
	key      *rsa.PublicKey
	appID    string
	now      time.Time // the API's clock, for token expiry; zero: wall clock
	mu       sync.Mutex
	requests []map[string]any
	reply    func(n int) (int, string)
}

func (f *fakeMessagesAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/messages" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	claims := jwt.MapClaims{}
	now := f.now
	if now.IsZero() {
		now = time.Now()
	}
	_, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return f.key, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(func() time.Time { return now }), jwt.WithExpirationRequired())
	if !ok || err != nil || claims["application_id"] != f.appID {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"type":"https://developer.nexmo.com/api-errors#unauthorized","title":"Unauthorized","detail":"You did not provide correct credentials."}`))
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, body)
	n := len(f.requests)
	f.mu.Unlock()
	if f.reply != nil {
		status, reply := f.reply(n)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(reply))
		return
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"message_uuid":"uuid-` + string(rune('0'+n)) + `"}`))
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

func newRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return key
}

func waOutbound(lastInbound time.Time) inbox.Outbound {
	out := smsOutbound("Your parcel arrives Tuesday.")
	out.Conversation.LastInboundAt = lastInbound
	return out
}

func TestWhatsAppSend(t *testing.T) {
	now := time.Date(2025, 1, 2, 12, 0, 0, 0, time.UTC)
	key := newRSAKey(t)
	mediaURL := func(_ context.Context, tenant inbox.TenantID, a inbox.Attachment) (string, error) {
		return "https://files.example.com/" + string(tenant) + "/" + a.ID, nil
	}
	tests := []struct {
		name    string
		out     func() inbox.Outbound
		reply   func(n int) (int, string)
		wantErr error
		wantID  string
		check   func(t *testing.T, reqs []map[string]any)
	}{
		{name: "text inside the window", out: func() inbox.Outbound { return waOutbound(now.Add(-23 * time.Hour)) }, wantID: "uuid-1",
			check: func(t *testing.T, reqs []map[string]any) {
				require.Len(t, reqs, 1)
				require.Equal(t, map[string]any{"message_type": "text", "channel": "whatsapp", "to": "447700900123", "from": "447700900000",
					"client_ref": "msg-1", "text": "Your parcel arrives Tuesday."}, reqs[0])
			}},
		{name: "image with caption", wantID: "uuid-1", out: func() inbox.Outbound {
			o := waOutbound(now.Add(-time.Hour))
			o.Message.Attachments = []inbox.Attachment{{ID: "a1", Filename: "label.png", ContentType: "image/png"}}
			return o
		}, check: func(t *testing.T, reqs []map[string]any) {
			require.Len(t, reqs, 1)
			require.Equal(t, "image", reqs[0]["message_type"])
			require.Equal(t, map[string]any{"url": "https://files.example.com/t1/a1", "caption": "Your parcel arrives Tuesday."}, reqs[0]["image"])
		}},
		{name: "text then two files", wantID: "uuid-1", out: func() inbox.Outbound {
			o := waOutbound(now.Add(-time.Hour))
			o.Message.Attachments = []inbox.Attachment{
				{ID: "a1", Filename: "invoice.pdf", ContentType: "application/pdf"},
				{ID: "a2", Filename: "note.ogg", ContentType: "audio/ogg"},
			}
			return o
		}, check: func(t *testing.T, reqs []map[string]any) {
			require.Len(t, reqs, 3)
			require.Equal(t, "text", reqs[0]["message_type"])
			require.Equal(t, map[string]any{"url": "https://files.example.com/t1/a1", "name": "invoice.pdf"}, reqs[1]["file"])
			require.Equal(t, map[string]any{"url": "https://files.example.com/t1/a2"}, reqs[2]["audio"])
		}},
		{name: "window closed needs a template", out: func() inbox.Outbound { return waOutbound(now.Add(-24 * time.Hour)) }, wantErr: vonage.ErrTemplateRequired},
		{name: "customer never wrote", out: func() inbox.Outbound { return waOutbound(time.Time{}) }, wantErr: vonage.ErrTemplateRequired},
		{name: "rate limited is temporary", out: func() inbox.Outbound { return waOutbound(now.Add(-time.Hour)) }, wantErr: inbox.ErrTemporary,
			reply: func(int) (int, string) {
				return 429, `{"type":"https://developer.nexmo.com/api-errors#throttled","title":"Rate Limit Hit","detail":"Please wait, then retry your request"}`
			}},
		{name: "server error is temporary", out: func() inbox.Outbound { return waOutbound(now.Add(-time.Hour)) }, wantErr: inbox.ErrTemporary,
			reply: func(int) (int, string) { return 500, `{"title":"Internal Error"}` }},
		{name: "invalid params are permanent", out: func() inbox.Outbound { return waOutbound(now.Add(-time.Hour)) }, wantErr: inbox.ErrInvalid,
			reply: func(int) (int, string) {
				return 422, `{"type":"https://developer.nexmo.com/api-errors/messages-olympus#1150","title":"Invalid params","detail":"The value of one or more parameters is invalid."}`
			}},
		{name: "provider says the window is closed", out: func() inbox.Outbound { return waOutbound(now.Add(-time.Hour)) }, wantErr: vonage.ErrTemplateRequired,
			reply: func(int) (int, string) {
				return 422, `{"type":"https://developer.nexmo.com/api-errors/messages-olympus#1340","title":"Outside Allowed Window","detail":"The user has not sent a message in the last 24 hours."}`
			}},
		{name: "failure after a first part is not retried", wantErr: inbox.ErrInvalid, out: func() inbox.Outbound {
			o := waOutbound(now.Add(-time.Hour))
			o.Message.Attachments = []inbox.Attachment{{ID: "a1", ContentType: "application/pdf"}, {ID: "a2", ContentType: "image/png"}}
			return o
		}, reply: func(n int) (int, string) {
			if n == 1 {
				return 202, `{"message_uuid":"uuid-1"}`
			}
			return 503, `{"title":"Unavailable"}`
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, ch := sendingWhatsApp(t, key, now, tt.reply, func(o *vonage.WhatsAppChannelOptions) { o.MediaURL = mediaURL })
			id, err := ch.Send(context.Background(), tt.out())
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				if !errors.Is(tt.wantErr, inbox.ErrTemporary) {
					require.NotErrorIs(t, err, inbox.ErrTemporary)
				}
				require.NotContains(t, err.Error(), "447700900123")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantID, id)
			if tt.check != nil {
				tt.check(t, fake.requests)
			}
		})
	}
}

func TestWhatsAppSendWrongKeyIsUnauthorized(t *testing.T) {
	now := time.Now()
	fake := &fakeMessagesAPI{t: t, key: &newRSAKey(t).PublicKey, appID: "app-1"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	ch, err := vonage.NewWhatsAppChannel(vonage.WhatsAppChannelOptions{From: "447700900000", ApplicationID: "app-1", PrivateKey: newRSAKey(t), BaseURL: srv.URL})
	require.NoError(t, err)
	_, err = ch.Send(context.Background(), waOutbound(now.Add(-time.Minute)))
	require.ErrorIs(t, err, inbox.ErrUnauthorized)
}

func TestWhatsAppFactory(t *testing.T) {
	key := newRSAKey(t)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	fake := &fakeMessagesAPI{t: t, key: &key.PublicKey, appID: "app-1"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	factory := vonage.WhatsAppFactory(vonage.WhatsAppFactoryOptions{BaseURL: srv.URL})
	in := inbox.Integration{ID: "int-wa", Kind: inbox.SourceWhatsApp, Config: map[string]string{"from": "447700900000", "application_id": "app-1"}}
	ch, err := factory(context.Background(), in, func(string) ([]byte, error) { return pemKey, nil })
	require.NoError(t, err)
	id, err := ch.(inbox.Sender).Send(context.Background(), waOutbound(time.Now().Add(-time.Minute)))
	require.NoError(t, err)
	require.Equal(t, "uuid-1", id)

	_, err = factory(context.Background(), in, func(string) ([]byte, error) { return []byte("not a key"), nil })
	require.ErrorIs(t, err, inbox.ErrInvalid)
}

// sendingWhatsApp starts a fake Messages API answering with reply and a
// WhatsApp channel of integration "int-wa" sending to it at now; edit
// sets the test's own options.
func sendingWhatsApp(t *testing.T, key *rsa.PrivateKey, now time.Time, reply func(int) (int, string), edit func(*vonage.WhatsAppChannelOptions)) (*fakeMessagesAPI, *vonage.WhatsAppChannel) {
	t.Helper()
	fake := &fakeMessagesAPI{t: t, key: &key.PublicKey, appID: "app-1", now: now, reply: reply}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	opts := vonage.WhatsAppChannelOptions{
		IntegrationID: "int-wa", From: "+44 7700 900000", ApplicationID: "app-1", PrivateKey: key,
		BaseURL: srv.URL, Clock: fixedClock{now},
	}
	edit(&opts)
	ch, err := vonage.NewWhatsAppChannel(opts)
	require.NoError(t, err)
	return fake, ch
}
