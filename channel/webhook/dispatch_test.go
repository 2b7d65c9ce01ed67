package webhook_test

import (
	"context"
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
)

// eventSink is an endpoint that verifies each request's signature and
// answers with the scripted statuses in turn (then 200).
type eventSink struct {
	t        *testing.T
	secrets  []webhook.Secret
	mu       sync.Mutex
	statuses []int
	ids      []string
	payloads []webhook.EventPayload
}

func (s *eventSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	require.NoError(s.t, err)
	for _, sec := range s.secrets {
		_, err := webhook.VerifyStandard(r.Header, body, []webhook.Secret{sec}, time.Now(), 0)
		require.NoError(s.t, err, "every active secret signs the request")
	}
	var p webhook.EventPayload
	require.NoError(s.t, json.Unmarshal(body, &p))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids = append(s.ids, r.Header.Get(webhook.HeaderID))
	s.payloads = append(s.payloads, p)
	status := http.StatusOK
	if len(s.statuses) > 0 {
		status, s.statuses = s.statuses[0], s.statuses[1:]
	}
	w.WriteHeader(status)
}

func (s *eventSink) received() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ids)
}

func runDispatcher(t *testing.T, opts webhook.DispatcherOptions) *webhook.Dispatcher {
	t.Helper()
	d, err := webhook.NewDispatcher(opts)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return d
}

func waitForLog(t *testing.T, d *webhook.Dispatcher, n int) []webhook.Delivery {
	t.Helper()
	var got []webhook.Delivery
	require.Eventually(t, func() bool {
		var err error
		got, err = d.Log().List(context.Background(), webhook.DeliveryQuery{})
		require.NoError(t, err)
		return len(got) >= n
	}, 10*time.Second, 5*time.Millisecond)
	return got
}

func TestDispatcherRetriesUntilDelivered(t *testing.T) {
	old, err := webhook.NewSecret()
	require.NoError(t, err)
	current, err := webhook.NewSecret()
	require.NoError(t, err)
	sink := &eventSink{t: t, secrets: []webhook.Secret{old, current}, statuses: []int{503, 500}}
	srv := httptest.NewServer(sink)
	defer srv.Close()

	d := runDispatcher(t, webhook.DispatcherOptions{
		Endpoints: func(_ context.Context, tenant inbox.TenantID) ([]webhook.Endpoint, error) {
			require.Equal(t, inbox.TenantID("t1"), tenant)
			return []webhook.Endpoint{
				{ID: "crm", URL: srv.URL, Secrets: []webhook.Secret{old, current}},
				{ID: "drafts-only", URL: srv.URL, Secrets: []webhook.Secret{current}, Events: []inbox.EventType{inbox.EventDraftReady}},
			}, nil
		},
		Backoff: func(int) time.Duration { return time.Millisecond },
	})
	at := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	d.Enqueue(inbox.Event{Type: inbox.EventMessageReceived, TenantID: "t1", ConversationID: "c1", MessageID: "m1", At: at})

	log := waitForLog(t, d, 3)
	require.Len(t, log, 3, "the drafts-only endpoint does not get message events")
	require.Equal(t, webhook.DeliveryDelivered, log[0].Status)
	require.Equal(t, 3, log[0].Attempt)
	require.Equal(t, 200, log[0].HTTPStatus)
	require.Equal(t, webhook.DeliveryRetrying, log[1].Status)
	require.Equal(t, 500, log[1].HTTPStatus)
	require.Equal(t, webhook.DeliveryRetrying, log[2].Status)
	require.Contains(t, log[2].Error, "HTTP 503")

	sink.mu.Lock()
	defer sink.mu.Unlock()
	require.Len(t, sink.ids, 3)
	require.Equal(t, sink.ids[0], sink.ids[1], "retries keep the webhook-id")
	require.Equal(t, sink.ids[0], sink.ids[2])
	require.Equal(t, inbox.EventMessageReceived, sink.payloads[2].Type)
	require.Equal(t, "m1", sink.payloads[2].Data.MessageID)
	require.True(t, at.Equal(sink.payloads[2].Timestamp))
}

func TestDispatcherGivesUpAfterMaxAttempts(t *testing.T) {
	sec, err := webhook.NewSecret()
	require.NoError(t, err)
	sink := &eventSink{t: t, secrets: []webhook.Secret{sec}, statuses: []int{500, 500, 500, 500}}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	d := runDispatcher(t, webhook.DispatcherOptions{
		Endpoints: func(context.Context, inbox.TenantID) ([]webhook.Endpoint, error) {
			return []webhook.Endpoint{{ID: "crm", URL: srv.URL, Secrets: []webhook.Secret{sec}}}, nil
		},
		MaxAttempts: 3,
		Backoff:     func(int) time.Duration { return time.Millisecond },
	})
	d.Enqueue(inbox.Event{Type: inbox.EventDraftReady, TenantID: "t1", ConversationID: "c1"})
	log := waitForLog(t, d, 3)
	require.Equal(t, webhook.DeliveryFailed, log[0].Status)
	require.Equal(t, 3, log[0].Attempt)
	require.Never(t, func() bool { return sink.received() > 3 }, 50*time.Millisecond, 5*time.Millisecond)

	byID, err := d.Log().List(context.Background(), webhook.DeliveryQuery{WebhookID: log[0].WebhookID, Limit: 2})
	require.NoError(t, err)
	require.Len(t, byID, 2)
}

func TestNewDispatcherValidates(t *testing.T) {
	_, err := webhook.NewDispatcher(webhook.DispatcherOptions{})
	require.ErrorIs(t, err, inbox.ErrInvalid)
}
