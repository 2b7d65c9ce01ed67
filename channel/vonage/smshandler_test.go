package vonage

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/internal/httpintake/intaketest"
)

func smsTarget(secret, method string) Target {
	return Target{
		Tenant:      testTenant,
		Integration: inbox.Integration{ID: "int-sms", TenantID: testTenant, Kind: inbox.SourceSMS, Config: map[string]string{ConfigSignatureMethod: method}},
		Secret:      []byte(secret),
	}
}

func newSMSReceiver(t *testing.T, env *testEnv, target Target, parts PartStore, log *slog.Logger) *SMSReceiver {
	t.Helper()
	r, err := NewSMSReceiver(env.Eng, SMSOptions{Resolve: StaticResolver(target), Parts: parts, Logger: log})
	require.NoError(t, err)
	return r
}

// serve runs r through h and returns the recorded answer.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder { return intaketest.Serve(h, r) }

func TestSMSReceiverVectors(t *testing.T) {
	f := loadVectors(t)
	byName := f.ByName()
	for _, v := range f.Vectors {
		if v.Kind != "vonage-sms" {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			env := newTestEnv(t, v.Clock())
			var logs bytes.Buffer
			h := newSMSReceiver(t, env, smsTarget(v.Secret, v.Method), NewMemoryPartStore(), slog.New(slog.NewTextHandler(&logs, nil)))
			if v.ReplayOf != "" {
				rec := serve(h, byName[v.ReplayOf].HTTPRequest("/inbox/webhooks/sms"))
				require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			}
			rec := serve(h, v.HTTPRequest("/inbox/webhooks/sms"))
			body := decodeReply(t, rec)
			require.NotContains(t, rec.Body.String(), v.Secret)
			require.NotContains(t, logs.String(), v.Secret)
			msgs := env.Messages(t)

			switch {
			case !v.Valid:
				require.Equal(t, expectedStatus(v.ExpectError), rec.Code, rec.Body.String())
				if v.ExpectError == "replay" {
					require.Equal(t, "duplicate", body.Status)
					require.Len(t, msgs, 1, "the replay stored nothing more")
					return
				}
				require.Contains(t, acceptableCodes(v.ExpectError), ErrorCode(body.Error))
				require.NotEmpty(t, body.Reason)
				require.Empty(t, msgs, "nothing is stored on rejection")
			case strings.Contains(v.Name, "/published/"):
				// Correctly signed, but a=1&b=2 is not an SMS.
				require.Equal(t, http.StatusBadRequest, rec.Code)
				require.Equal(t, "messageId", body.Field)
				require.Empty(t, msgs)
			case v.Group != "":
				require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
				require.Equal(t, "pending", body.Status)
				require.Empty(t, msgs, "one part of three is not a message yet")
			case strings.Contains(v.Name, "delivery-receipt"):
				require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
				require.Equal(t, "ignored", body.Status, "no outbound message has this id")
			default:
				require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
				require.Equal(t, "stored", body.Status)
				require.Len(t, msgs, 1)
				p, err := ReadSMSParams(v.Request.Query, contentType(v), v.Body())
				require.NoError(t, err)
				m := msgs[0]
				require.Equal(t, inbox.SourceSMS, m.Source)
				require.Equal(t, p["messageId"], m.ProviderID)
				require.Equal(t, p["msisdn"], m.From.Phone)
				if p["type"] != "binary" {
					require.Equal(t, p["text"], m.Text)
				}
				require.Equal(t, body.MessageID, m.ID)
				require.NotContains(t, logs.String(), p["msisdn"], "phone numbers are masked in logs")
			}
		})
	}
}

// concatVectors returns the three signed parts of the concatenated SMS.
func concatVectors(t *testing.T) []vector {
	var parts []vector
	for _, v := range loadVectors(t).Vectors {
		if v.Group == "concat-18" {
			parts = append(parts, v)
		}
	}
	require.Len(t, parts, 3)
	return parts
}

func TestSMSReceiverReassemblesOutOfOrderAcrossInstances(t *testing.T) {
	parts := concatVectors(t)
	env := newTestEnv(t, parts[2].Clock())
	shared := NewMemoryPartStore() // the store both instances share
	target := smsTarget(parts[0].Secret, parts[0].Method)
	instanceA := newSMSReceiver(t, env, target, shared, nil)
	instanceB := newSMSReceiver(t, env, target, shared, nil)

	rec := serve(instanceA, parts[2].HTTPRequest("/sms"))
	require.Equal(t, "pending", decodeReply(t, rec).Status)
	rec = serve(instanceB, parts[0].HTTPRequest("/sms"))
	require.Equal(t, "pending", decodeReply(t, rec).Status)
	require.Empty(t, env.Messages(t))
	rec = serve(instanceA, parts[1].HTTPRequest("/sms"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "stored", decodeReply(t, rec).Status)

	msgs := env.Messages(t)
	require.Len(t, msgs, 1)
	var want strings.Builder
	var ids []string
	for _, v := range parts {
		p, err := ReadSMSParams(v.Request.Query, contentType(v), v.Body())
		require.NoError(t, err)
		want.WriteString(p["text"])
		ids = append(ids, p["messageId"])
	}
	require.Equal(t, want.String(), msgs[0].Text)
	require.Equal(t, strings.Join(ids, "+"), msgs[0].ProviderID)
	require.True(t, strings.HasPrefix(msgs[0].Text, "This is a deliberately long inbound SMS"))

	// Vonage retries part 2 (its answer was lost): a duplicate, not the
	// start of a new message.
	req := parts[1].HTTPRequest("/sms")
	rec = serve(instanceB, req)
	require.Equal(t, "duplicate", decodeReply(t, rec).Status)
	require.Len(t, env.Messages(t), 1)
	groups, err := shared.ExpiredGroups(context.Background(), parts[2].Clock().Add(48*time.Hour), 0)
	require.NoError(t, err)
	require.Empty(t, groups, "the assembled parts are forgotten")
}

func TestSMSReceiverFlushesIncompleteMessages(t *testing.T) {
	parts := concatVectors(t)
	env := newTestEnv(t, parts[2].Clock())
	h := newSMSReceiver(t, env, smsTarget(parts[0].Secret, parts[0].Method), NewMemoryPartStore(), nil)
	for _, v := range []vector{parts[0], parts[2]} {
		rec := serve(h, v.HTTPRequest("/sms"))
		require.Equal(t, "pending", decodeReply(t, rec).Status)
	}
	n, err := h.Flush(context.Background())
	require.NoError(t, err)
	require.Zero(t, n, "parts wait for the part timeout")

	env.Clock.Set(parts[2].Clock().Add(DefaultPartTimeout + time.Minute))
	n, err = h.Flush(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	msgs := env.Messages(t)
	require.Len(t, msgs, 1)
	require.Contains(t, msgs[0].Text, "[part 2 missing]")
	require.True(t, strings.HasSuffix(msgs[0].Text, "s.") || len(msgs[0].Text) > 0)
}

func TestSMSReceiverStorageFailureIsRetryable(t *testing.T) {
	v := loadVectorByName(t, "vonage-sms/md5hash/get-basic")
	env := newTestEnv(t, v.Clock())
	h := newSMSReceiver(t, env, smsTarget(v.Secret, v.Method), NewMemoryPartStore(), nil)

	env.Store.Failing.Store(true)
	rec := serve(h, v.HTTPRequest("/sms"))
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	body := decodeReply(t, rec)
	require.Equal(t, "internal", body.Error)
	require.NotContains(t, rec.Body.String(), "unreachable", "internal details stay in the log")

	// Vonage retries the same request: it is not taken for a replay.
	env.Store.Failing.Store(false)
	rec = serve(h, v.HTTPRequest("/sms"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "stored", decodeReply(t, rec).Status)
	require.Len(t, env.Messages(t), 1)
}

func loadVectorByName(t *testing.T, name string) vector {
	t.Helper()
	for _, v := range loadVectors(t).Vectors {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no vector %q", name)
	return vector{}
}

// signedSMSRequest builds a correctly signed GET webhook from params.
func signedSMSRequest(t *testing.T, params map[string]string, secret string, method SignatureMethod) *http.Request {
	t.Helper()
	p := SMSParams(params)
	sig, err := SignSMS(p, []byte(secret), method)
	require.NoError(t, err)
	q := url.Values{}
	for k, v := range p {
		q.Set(k, v)
	}
	q.Set("sig", sig)
	return httptest.NewRequest(http.MethodGet, "/sms?"+q.Encode(), nil)
}

func TestSMSReceiverBadInput(t *testing.T) {
	now := time.Unix(1735732800, 0)
	const secret = "sms-signature-secret"
	base := func() map[string]string {
		return map[string]string{"msisdn": "447700900123", "to": "447700900000", "messageId": "0D89D649725C3EFF", "text": "hello",
			"type": "text", "message-timestamp": "2025-01-01 11:59:56", "timestamp": strconv.FormatInt(now.Unix(), 10), "nonce": "n-1"}
	}
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
		field  string
		code   string
	}{
		{name: "invalid utf-8 text", status: 400, field: "text", req: func() *http.Request {
			p := base()
			p["text"] = "caf\xe9"
			return signedSMSRequest(t, p, secret, HMACSHA256)
		}},
		{name: "missing msisdn", status: 400, field: "msisdn", req: func() *http.Request {
			p := base()
			delete(p, "msisdn")
			return signedSMSRequest(t, p, secret, HMACSHA256)
		}},
		{name: "bad concat part", status: 400, field: "concat-part", req: func() *http.Request {
			p := base()
			p["concat"], p["concat-ref"], p["concat-total"], p["concat-part"] = "true", "7", "2", "3"
			return signedSMSRequest(t, p, secret, HMACSHA256)
		}},
		{name: "wrong method", status: 401, code: "malformed_signature", req: func() *http.Request {
			return signedSMSRequest(t, base(), secret, HMACSHA512)
		}},
		{name: "other secret", status: 401, code: "bad_signature", req: func() *http.Request {
			return signedSMSRequest(t, base(), "another-secret", HMACSHA256)
		}},
		{name: "unsupported content type", status: 400, field: "content-type", req: func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/sms", strings.NewReader("<xml/>"))
			r.Header.Set("Content-Type", "text/xml")
			return r
		}},
		{name: "wrong http method", status: 405, code: "method_not_allowed", req: func() *http.Request {
			return httptest.NewRequest(http.MethodPut, "/sms", nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, now)
			h := newSMSReceiver(t, env, smsTarget(secret, "sha256"), nil, nil)
			rec := serve(h, tt.req())
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			body := decodeReply(t, rec)
			require.Equal(t, tt.field, body.Field)
			if tt.code != "" {
				require.Equal(t, tt.code, body.Error)
			}
			require.NotContains(t, rec.Body.String(), secret)
			require.Empty(t, env.Messages(t))
		})
	}
}

func TestSMSReceiverUnknownIntegration(t *testing.T) {
	env := newTestEnv(t, time.Now())
	h, err := NewSMSReceiver(env.Eng, SMSOptions{Resolve: func(_ context.Context, r *http.Request) (Target, error) {
		return Target{}, inbox.ErrNotFound
	}})
	require.NoError(t, err)
	rec := serve(h, httptest.NewRequest(http.MethodGet, "/sms?msisdn=1", nil))
	require.Equal(t, http.StatusNotFound, rec.Code)
	require.Equal(t, "not_found", decodeReply(t, rec).Error)
}

func TestSMSReceiverMisconfiguredSecretFailsClosed(t *testing.T) {
	v := loadVectorByName(t, "vonage-sms/md5hash/get-basic")
	env := newTestEnv(t, v.Clock())
	for _, target := range []Target{smsTarget("", "md5hash"), smsTarget(v.Secret, "sha3")} {
		h := newSMSReceiver(t, env, target, nil, nil)
		rec := serve(h, v.HTTPRequest("/sms"))
		require.Equal(t, http.StatusInternalServerError, rec.Code)
		require.Equal(t, "invalid_secret", decodeReply(t, rec).Error)
	}
	require.Empty(t, env.Messages(t))
}

func TestSMSDeliveryReceiptUpdatesOutboundMessage(t *testing.T) {
	v := loadVectorByName(t, "vonage-sms/sha256/delivery-receipt")
	env := newTestEnv(t, v.Clock())
	id := addOutbound(t, env, "int-sms", "CA6267FC3DD28A37", inbox.DeliverySent)
	var events []inbox.Event
	done := make(chan struct{})
	cancel := env.Eng.Subscribe(func(ev inbox.Event) {
		events = append(events, ev)
		close(done)
	})
	h := newSMSReceiver(t, env, smsTarget(v.Secret, v.Method), nil, nil)
	rec := serve(h, v.HTTPRequest("/sms"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "updated", decodeReply(t, rec).Status)
	require.Equal(t, inbox.DeliveryDelivered, env.Message(t, id).Delivery)
	<-done
	cancel()
	require.Equal(t, EventMessageDelivery, events[0].Type)
	require.Equal(t, id, events[0].MessageID)
}

func TestNewSMSReceiverValidates(t *testing.T) {
	env := newTestEnv(t, time.Now())
	_, err := NewSMSReceiver(env.Eng, SMSOptions{})
	require.ErrorIs(t, err, inbox.ErrInvalid)
	_, err = NewSMSReceiver(nil, SMSOptions{Resolve: StaticResolver(Target{})})
	require.ErrorIs(t, err, inbox.ErrInvalid)
	_, err = NewSMSReceiver(env.Eng, SMSOptions{Resolve: StaticResolver(Target{}), Tolerance: -1})
	require.ErrorIs(t, err, inbox.ErrInvalid)
}

func TestSMSReceiverRunFlushes(t *testing.T) {
	parts := concatVectors(t)
	env := newTestEnv(t, parts[0].Clock())
	h, err := NewSMSReceiver(env.Eng, SMSOptions{Resolve: StaticResolver(smsTarget(parts[0].Secret, parts[0].Method)), FlushInterval: time.Millisecond})
	require.NoError(t, err)
	rec := serve(h, parts[0].HTTPRequest("/sms"))
	require.Equal(t, "pending", decodeReply(t, rec).Status)
	env.Clock.Set(parts[0].Clock().Add(DefaultPartTimeout + time.Second))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	require.Eventually(t, func() bool { return len(env.Messages(t)) == 1 }, 5*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	require.Contains(t, env.Messages(t)[0].Text, "[part 2 missing][part 3 missing]")
}
