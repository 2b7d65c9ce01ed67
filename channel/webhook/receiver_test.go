package webhook

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/internal/httpintake/intaketest"
)

func customTarget(secrets ...string) Target {
	return Target{Tenant: testTenant, Integration: inbox.Integration{ID: "int-hook", TenantID: testTenant, Kind: inbox.SourceWebhook}, Secrets: secrets}
}

func newReceiver(t *testing.T, env *testEnv, target Target, mutate func(*Options)) *Receiver {
	t.Helper()
	opts := Options{Resolve: func(context.Context, *http.Request) (Target, error) { return target, nil }}
	if mutate != nil {
		mutate(&opts)
	}
	h, err := NewReceiver(env.Eng, opts)
	require.NoError(t, err)
	return h
}

// serve runs r through h and returns the recorded answer.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder { return intaketest.Serve(h, r) }

func TestReceiverVectors(t *testing.T) {
	f := loadVectors(t)
	byName := f.ByName()
	for _, v := range f.Vectors {
		if v.Kind != "standard-webhooks" {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			env := newTestEnv(t, v.Clock())
			var logs bytes.Buffer
			h := newReceiver(t, env, customTarget(v.Secret), func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
			if v.ReplayOf != "" {
				orig := byName[v.ReplayOf]
				rec := serve(h, orig.HTTPRequest("/custom/int-hook"))
				// The original is an event, not a message: refused with 400
				// and nothing remembered. Replays are tested with messages
				// in TestReceiverReplayAndDuplicates.
				require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
			}
			rec := serve(h, v.HTTPRequest("/custom/int-hook"))
			body := decodeReply(t, rec)
			require.NotContains(t, rec.Body.String(), v.Secret)
			require.NotContains(t, logs.String(), strings.TrimPrefix(v.Secret, "whsec_"))
			msgs := env.Messages(t)
			switch {
			case v.ExpectError == "replay":
				// Its original was refused, so this one is verified afresh.
				require.Equal(t, http.StatusBadRequest, rec.Code)
			case !v.Valid:
				require.Equal(t, expectedStatus(v.ExpectError), rec.Code, rec.Body.String())
				require.Contains(t, acceptableCodes(v.ExpectError), ErrorCode(body.Error), rec.Body.String())
				require.Empty(t, msgs)
				require.Zero(t, env.Blobs.Count())
			case strings.HasPrefix(v.Name, "standard-webhooks/custom/"):
				require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
				require.Equal(t, "stored", body.Status)
				require.Len(t, msgs, 1)
				var wire Message
				require.NoError(t, json.Unmarshal(v.Body(), &wire))
				m := msgs[0]
				require.Equal(t, inbox.SourceWebhook, m.Source)
				require.Equal(t, wire.Channel, m.Channel, "the sender's channel name is kept")
				require.Equal(t, wire.ExternalID, m.ProviderID)
				require.Equal(t, wire.Text, m.Text)
				require.Equal(t, wire.Subject, m.Subject)
				require.Equal(t, wire.From.Name, m.From.Name)
				require.Equal(t, strings.ToLower(wire.From.Email), m.From.Email)
				require.Len(t, m.Attachments, len(wire.Attachments))
			default:
				// Correctly signed events that are not inbound messages.
				require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
				require.Equal(t, "external_id", body.Field)
				require.Empty(t, msgs)
			}
		})
	}
}

func signedRequest(t *testing.T, id string, ts time.Time, body string, secrets ...string) *http.Request {
	t.Helper()
	var parsed []Secret
	for _, s := range secrets {
		sec, err := ParseSecret(s)
		require.NoError(t, err)
		parsed = append(parsed, sec)
	}
	r := httptest.NewRequest(http.MethodPost, "/custom/int-hook", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	SignHeaders(r.Header, id, ts, []byte(body), parsed...)
	return r
}

const (
	secretA = "whsec_hq6pcE47n7vKIX1iBovRBizGcDppO/1roWnrn1kWkP0="
	secretB = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

func TestReceiverReplayAndDuplicates(t *testing.T) {
	now := time.Unix(1735740000, 0)
	env := newTestEnv(t, now)
	h := newReceiver(t, env, customTarget(secretA), nil)
	msg := `{"external_id":"form-1","channel":"form","from":{"email":"bob@example.com"},"text":"Call me back"}`

	rec := serve(h, signedRequest(t, "msg_1", now, msg, secretA))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	first := decodeReply(t, rec)
	require.Equal(t, "stored", first.Status)

	// The same webhook-id re-signed with another body is a replay.
	other := `{"external_id":"form-2","channel":"form","from":{"email":"eve@example.com"},"text":"Injected"}`
	rec = serve(h, signedRequest(t, "msg_1", now.Add(time.Minute), other, secretA))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "duplicate", decodeReply(t, rec).Status)

	// The same external_id under a new webhook-id is a duplicate message.
	rec = serve(h, signedRequest(t, "msg_2", now, msg, secretA))
	require.Equal(t, http.StatusOK, rec.Code)
	dup := decodeReply(t, rec)
	require.Equal(t, "duplicate", dup.Status)
	require.Equal(t, first.MessageID, dup.MessageID)
	require.Len(t, env.Messages(t), 1)
}

func TestReceiverSecretRotation(t *testing.T) {
	now := time.Unix(1735740000, 0)
	env := newTestEnv(t, now)
	h := newReceiver(t, env, customTarget(secretA, secretB), nil)
	for i, s := range []string{secretA, secretB} {
		body := `{"external_id":"m-` + string(rune('a'+i)) + `","channel":"chat","from":{"id":"visitor-1"},"text":"hi"}`
		rec := serve(h, signedRequest(t, "msg_"+string(rune('a'+i)), now, body, s))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	}
	rec := serve(h, signedRequest(t, "msg_c", now, `{"external_id":"m-c","channel":"chat","from":{"id":"v"},"text":"hi"}`, "whsec_"+base64.StdEncoding.EncodeToString([]byte("retired-secret-retired-secret!!"))))
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	require.Len(t, env.Messages(t), 2)
}

func TestReceiverAttachments(t *testing.T) {
	now := time.Unix(1735740000, 0)
	var pngBuf bytes.Buffer
	require.NoError(t, png.Encode(&pngBuf, image.NewRGBA(image.Rect(0, 0, 2, 2))))
	files := http.NewServeMux()
	files.HandleFunc("/ok.pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		_, _ = w.Write([]byte("%PDF-1.4\n%%EOF\n"))
	})
	files.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	srv := httptest.NewServer(files)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	attNamed := func(name, fields string) string {
		return `{"external_id":"x-` + inbox.NewID() + `","channel":"chat","from":{"id":"v"},"attachments":[{"filename":"` + name + `",` + fields + `}]}`
	}
	att := func(fields string) string { return attNamed("../../etc/passwd.png", fields) }
	b64 := base64.StdEncoding.EncodeToString(pngBuf.Bytes())
	tests := []struct {
		name, body, rejected, contentType, filename string
		status                                      int
	}{
		{name: "inline png", body: att(`"content_type":"image/png","data_base64":"` + b64 + `"`), contentType: "image/png", filename: "passwd.png"},
		{name: "inline script refused", body: att(`"content_type":"image/png","data_base64":"` + base64.StdEncoding.EncodeToString([]byte("<script>alert(1)</script>")) + `"`), rejected: "not the declared image/png"},
		{name: "url from an allowed host", body: attNamed("../../etc/invoice.pdf", `"content_type":"application/pdf","url":"`+srv.URL+`/ok.pdf"`), contentType: "application/pdf", filename: "invoice.pdf"},
		{name: "pdf named png refused", body: att(`"content_type":"application/pdf","url":"` + srv.URL + `/ok.pdf"`), rejected: "does not match the extension .png"},
		{name: "url from another host is not fetched", body: att(`"url":"https://files.example.com/a/1"`), rejected: "not fetched"},
		{name: "file host down is retryable", body: att(`"url":"` + srv.URL + `/down"`), status: http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, now)
			h := newReceiver(t, env, customTarget(secretA), func(o *Options) {
				o.Attachments = AttachmentOptions{AllowedHosts: []string{host}, AllowHTTP: true}
			})
			rec := serve(h, signedRequest(t, "msg_"+inbox.NewID(), now, tt.body, secretA))
			if tt.status != 0 {
				require.Equal(t, tt.status, rec.Code, rec.Body.String())
				require.Empty(t, env.Messages(t))
				require.Zero(t, env.Blobs.Count())
				return
			}
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			msgs := env.Messages(t)
			require.Len(t, msgs, 1)
			a := msgs[0].Attachments[0]
			if tt.rejected != "" {
				require.Contains(t, a.Rejected, tt.rejected)
				require.Empty(t, a.BlobKey)
				require.Zero(t, env.Blobs.Count())
				return
			}
			require.Empty(t, a.Rejected)
			require.Equal(t, tt.contentType, a.ContentType)
			require.Equal(t, tt.filename, a.Filename, "path components are stripped")
			require.NotEmpty(t, a.SHA256)
			require.Equal(t, 1, env.Blobs.Count())
		})
	}
}

func TestReceiverSanitizesHTML(t *testing.T) {
	now := time.Unix(1735740000, 0)
	env := newTestEnv(t, now)
	h := newReceiver(t, env, customTarget(secretA), nil)
	body := `{"external_id":"h-1","channel":"email","from":{"email":"a@example.com"},"html":"<p onclick=\"steal()\">Hi <a href=\"javascript:steal()\">x</a><script>steal()</script></p>"}`
	rec := serve(h, signedRequest(t, "msg_h", now, body, secretA))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	html := env.Messages(t)[0].HTML
	require.NotContains(t, html, "script")
	require.NotContains(t, html, "onclick")
	require.NotContains(t, html, "javascript:")
	require.Contains(t, html, "Hi")
}

func TestReceiverFailures(t *testing.T) {
	now := time.Unix(1735740000, 0)
	msg := `{"external_id":"f-1","channel":"form","from":{"email":"bob@example.com"},"text":"hello"}`
	t.Run("storage failure is retryable", func(t *testing.T) {
		env := newTestEnv(t, now)
		h := newReceiver(t, env, customTarget(secretA), nil)
		env.Store.Failing.Store(true)
		rec := serve(h, signedRequest(t, "msg_1", now, msg, secretA))
		require.Equal(t, http.StatusInternalServerError, rec.Code)
		env.Store.Failing.Store(false)
		rec = serve(h, signedRequest(t, "msg_1", now, msg, secretA))
		require.Equal(t, http.StatusOK, rec.Code, "the retry is not a replay")
		require.Equal(t, "stored", decodeReply(t, rec).Status)
	})
	t.Run("unknown integration", func(t *testing.T) {
		env := newTestEnv(t, now)
		h, err := NewReceiver(env.Eng, Options{Resolve: func(context.Context, *http.Request) (Target, error) {
			return Target{}, inbox.ErrNotFound
		}})
		require.NoError(t, err)
		rec := serve(h, signedRequest(t, "msg_1", now, msg, secretA))
		require.Equal(t, http.StatusNotFound, rec.Code)
		require.Equal(t, "not_found", decodeReply(t, rec).Error)
	})
	t.Run("no secret configured", func(t *testing.T) {
		env := newTestEnv(t, now)
		h := newReceiver(t, env, customTarget(), nil)
		rec := serve(h, signedRequest(t, "msg_1", now, msg, secretA))
		require.Equal(t, http.StatusInternalServerError, rec.Code)
		require.Equal(t, "invalid_secret", decodeReply(t, rec).Error)
		require.Empty(t, env.Messages(t))
	})
	t.Run("unknown tenant", func(t *testing.T) {
		env := newTestEnv(t, now)
		target := customTarget(secretA)
		target.Tenant = "nobody"
		h := newReceiver(t, env, target, nil)
		rec := serve(h, signedRequest(t, "msg_1", now, msg, secretA))
		require.Equal(t, http.StatusNotFound, rec.Code)
	})
	t.Run("oversized body", func(t *testing.T) {
		env := newTestEnv(t, now)
		h := newReceiver(t, env, customTarget(secretA), func(o *Options) { o.MaxBodyBytes = 64 })
		rec := serve(h, signedRequest(t, "msg_1", now, msg, secretA))
		require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
		require.Equal(t, "body_too_large", decodeReply(t, rec).Error)
	})
	t.Run("wrong method", func(t *testing.T) {
		env := newTestEnv(t, now)
		h := newReceiver(t, env, customTarget(secretA), nil)
		rec := serve(h, httptest.NewRequest(http.MethodGet, "/custom/int-hook", nil))
		require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	})
}
