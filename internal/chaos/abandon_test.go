package chaos

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/channel/vonage"
	"github.com/inboxkit/inboxkit/channel/webhook"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/httpintake"
	"github.com/inboxkit/inboxkit/internal/httpintake/intaketest"
	"github.com/inboxkit/inboxkit/internal/pgtest"
	"github.com/inboxkit/inboxkit/storage/memstore"
	"github.com/inboxkit/inboxkit/storage/postgres"
	"github.com/inboxkit/inboxkit/storage/sqlite"
)

const abandonTenant inbox.TenantID = "acme"

// laggyStore makes every write transaction take a while longer, like a
// loaded disk, so requests queue behind a committing batch and many of
// them give up while they wait; and it can hold every write transaction
// until released, as a database that stops answering for a while. It
// keeps the store's parallel lanes.
type laggyStore struct {
	driver.Store
	lag  time.Duration
	mu   sync.Mutex
	held chan struct{} // non-nil: writes wait until it is closed
	in   atomic.Int64  // writes that reached the hold
}

func (s *laggyStore) Update(ctx context.Context, tenant inbox.TenantID, fn func(tx driver.Tx) error) error {
	s.mu.Lock()
	held := s.held
	s.mu.Unlock()
	if held != nil {
		s.in.Add(1)
		<-held
	}
	time.Sleep(s.lag)
	return s.Store.Update(ctx, tenant, fn)
}

// hold makes write transactions wait until release is called.
func (s *laggyStore) hold() (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.held = ch
	s.mu.Unlock()
	s.in.Store(0)
	return func() {
		s.mu.Lock()
		s.held = nil
		s.mu.Unlock()
		close(ch)
	}
}

func (s *laggyStore) ParallelWrites() int {
	if pw, ok := s.Store.(driver.ParallelWriter); ok {
		return pw.ParallelWrites()
	}
	return 1
}

// abandonStores opens each store the engine runs on, with the tenant.
var abandonStores = []struct {
	name string
	open func(t *testing.T) driver.Store
}{
	{"memstore", func(t *testing.T) driver.Store { return memstore.New() }},
	{"sqlite", func(t *testing.T) driver.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "inbox.db"), sqlite.Options{})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}},
	{"postgres", func(t *testing.T) driver.Store {
		schema := pgtest.FreshSchema(t)
		s, err := postgres.Open(context.Background(), pgtest.DSN(), postgres.Options{Schema: schema})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}},
}

// endpoint is one webhook receiver and how to post a message to it.
type endpoint struct {
	name    string
	handler func(t *testing.T, eng *inbox.Engine) http.Handler
	// request builds a correctly signed request carrying the message
	// providerID from sender, with a fresh nonce.
	request func(t *testing.T, base, providerID, sender string, nonce int) *http.Request
}

const (
	hookSecret = "whsec_hq6pcE47n7vKIX1iBovRBizGcDppO/1roWnrn1kWkP0="
	smsSecret  = "sms-signature-secret"
	waSecret   = "messages-signature-secret"
)

var abandonEndpoints = []endpoint{
	{
		name: "webhook",
		handler: func(t *testing.T, eng *inbox.Engine) http.Handler {
			target := webhook.Target{Tenant: abandonTenant, Integration: inbox.Integration{ID: "hook", TenantID: abandonTenant, Kind: inbox.SourceWebhook}, Secrets: []string{hookSecret}}
			h, err := webhook.NewReceiver(eng, webhook.Options{Resolve: func(context.Context, *http.Request) (webhook.Target, error) { return target, nil }})
			require.NoError(t, err)
			return h
		},
		request: func(t *testing.T, base, providerID, sender string, nonce int) *http.Request {
			body, err := json.Marshal(webhook.Message{ExternalID: providerID, Channel: "chat", From: webhook.Sender{Email: sender + "@example.com"}, Text: "hello " + providerID})
			require.NoError(t, err)
			sec, err := webhook.ParseSecret(hookSecret)
			require.NoError(t, err)
			r, err := http.NewRequest(http.MethodPost, base, bytes.NewReader(body))
			require.NoError(t, err)
			r.Header.Set("Content-Type", "application/json")
			webhook.SignHeaders(r.Header, fmt.Sprint("msg_", nonce), time.Now(), body, sec)
			return r
		},
	},
	{
		name: "sms",
		handler: func(t *testing.T, eng *inbox.Engine) http.Handler {
			target := vonage.Target{Tenant: abandonTenant, Integration: inbox.Integration{ID: "sms", TenantID: abandonTenant, Kind: inbox.SourceSMS}, Secret: []byte(smsSecret)}
			h, err := vonage.NewSMSReceiver(eng, vonage.SMSOptions{Resolve: vonage.StaticResolver(target)})
			require.NoError(t, err)
			return h
		},
		request: func(t *testing.T, base, providerID, sender string, nonce int) *http.Request {
			now := time.Now().UTC()
			p := vonage.SMSParams{"msisdn": phoneOf(sender), "to": "447700900000", "messageId": providerID, "text": "hello " + providerID,
				"type": "text", "message-timestamp": now.Format("2006-01-02 15:04:05"), "timestamp": strconv.FormatInt(now.Unix(), 10), "nonce": fmt.Sprint("n-", nonce)}
			sig, err := vonage.SignSMS(p, []byte(smsSecret), vonage.SignatureMethod("md5hash"))
			require.NoError(t, err)
			q := url.Values{}
			for k, v := range p {
				q.Set(k, v)
			}
			q.Set("sig", sig)
			r, err := http.NewRequest(http.MethodGet, base+"?"+q.Encode(), nil)
			require.NoError(t, err)
			return r
		},
	},
	{
		name: "whatsapp",
		handler: func(t *testing.T, eng *inbox.Engine) http.Handler {
			target := vonage.Target{Tenant: abandonTenant, Integration: inbox.Integration{ID: "wa", TenantID: abandonTenant, Kind: inbox.SourceWhatsApp}, Secret: []byte(waSecret)}
			h, err := vonage.NewWhatsAppReceiver(eng, vonage.WhatsAppOptions{Resolve: vonage.StaticResolver(target)})
			require.NoError(t, err)
			return h
		},
		request: func(t *testing.T, base, providerID, sender string, nonce int) *http.Request {
			body := []byte(`{"channel":"whatsapp","message_uuid":"` + providerID + `","to":"447700900000","from":"` + phoneOf(sender) +
				`","timestamp":"` + time.Now().UTC().Format(time.RFC3339) + `","message_type":"text","text":"hello ` + providerID + `"}`)
			r, err := http.NewRequest(http.MethodPost, base, bytes.NewReader(body))
			require.NoError(t, err)
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", intaketest.MessagesAuthorization(waSecret, body, time.Now(), fmt.Sprint("jti-", nonce)))
			return r
		},
	},
}

// phoneOf turns a sender name into a stable UK mobile number.
func phoneOf(sender string) string {
	sum := sha256.Sum256([]byte(sender))
	return fmt.Sprintf("447700%06d", int(sum[0])<<8|int(sum[1]))
}

// answer is what one request's sender saw.
type answer struct {
	providerID string
	code       int // 0: no answer (gave up)
	reply      httpintake.Reply
}

// TestAbandonedRequestsNeverLoseOrStallIntake posts hundreds of signed
// webhooks to each receiver (custom webhook, SMS, WhatsApp) on each
// store. First the database stops answering while 300 senders of one
// busy customer give up (client timeouts), so more than a batch of
// abandoned requests waits in one group-commit lane ahead of the next
// senders; then a storm of requests arrives in which half the senders
// give up at random (timeouts of a few milliseconds, cancelled requests)
// and a sixth of the messages are posted twice. Every 2xx answer must
// name a message stored exactly once, no message may be answered
// "stored" twice, and intake must keep answering.
func TestAbandonedRequestsNeverLoseOrStallIntake(t *testing.T) {
	if testing.Short() {
		t.Skip("hundreds of concurrent requests per store and receiver")
	}
	for _, st := range abandonStores {
		t.Run(st.name, func(t *testing.T) {
			for _, ep := range abandonEndpoints {
				t.Run(ep.name, func(t *testing.T) {
					store := st.open(t)
					require.NoError(t, store.CreateTenant(context.Background(), &inbox.Tenant{ID: abandonTenant, Name: "Acme"}))
					laggy := &laggyStore{Store: store, lag: 2 * time.Millisecond}
					eng, err := inbox.New(inbox.Options{Store: laggy})
					require.NoError(t, err)
					t.Cleanup(func() { _ = eng.Close() })
					h := ep.handler(t, eng)
					var received atomic.Int64
					srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						received.Add(1)
						h.ServeHTTP(w, r)
					}))
					t.Cleanup(srv.Close)
					runAbandonRound(t, srv, ep, laggy, &received)
				})
			}
		})
	}
}

// waitOrStall waits for wg, failing the test if intake leaves its senders
// waiting: every one of them has an answer or gave up well within 60 s.
// On a stall it cancels the requests still waiting (giveUp) so the
// server can shut down.
func waitOrStall(t *testing.T, wg *sync.WaitGroup, who string, giveUp context.CancelFunc) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		giveUp()
		t.Fatalf("intake stalled: %s got no answer in 60 s", who)
	}
}

// abandonPlan is one request of a round.
type abandonPlan struct {
	providerID, sender string
	timeout            time.Duration // 0: waits for its answer
	cancelAfter        time.Duration // 0: never cancelled
}

func runAbandonRound(t *testing.T, srv *httptest.Server, ep endpoint, store *laggyStore, received *atomic.Int64) {
	const (
		heldBack = 300 // senders that give up while the database is held
		storm    = 600
		inFlight = 300
		distinct = 500 // the other 100 storm requests repeat a message, as providers retry
	)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: inFlight}}
	t.Cleanup(client.CloseIdleConnections)
	var (
		mu      sync.Mutex
		answers []answer
		nonce   atomic.Int64
	)
	root, giveUp := context.WithCancel(context.Background())
	defer giveUp()
	send := func(p abandonPlan) {
		ctx, cancel := context.WithCancel(root)
		defer cancel()
		if p.timeout > 0 {
			ctx, cancel = context.WithTimeout(ctx, p.timeout)
			defer cancel()
		}
		if p.cancelAfter > 0 {
			stop := time.AfterFunc(p.cancelAfter, cancel)
			defer stop.Stop()
		}
		a := answer{providerID: p.providerID}
		defer func() {
			mu.Lock()
			answers = append(answers, a)
			mu.Unlock()
		}()
		req := ep.request(t, srv.URL, p.providerID, p.sender, int(nonce.Add(1))).WithContext(ctx)
		res, err := client.Do(req)
		if err != nil {
			require.True(t, errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded), "only senders that gave up get no answer: %v", err)
			return
		}
		defer res.Body.Close()
		var r httpintake.Reply
		if json.NewDecoder(res.Body).Decode(&r) != nil {
			return // the sender gave up while reading the answer
		}
		a.code, a.reply = res.StatusCode, r
	}
	sendAll := func(plans []abandonPlan) *sync.WaitGroup {
		var wg sync.WaitGroup
		sem := make(chan struct{}, inFlight)
		wg.Go(func() {
			var each sync.WaitGroup
			for _, p := range plans {
				sem <- struct{}{}
				each.Go(func() {
					defer func() { <-sem }()
					send(p)
				})
			}
			each.Wait()
		})
		return &wg
	}

	// The database stops answering while the busy customer's first
	// message commits; 300 more of theirs arrive and their senders give up.
	release := store.hold()
	first := sendAll([]abandonPlan{{providerID: ep.name + "-first", sender: "busy"}})
	require.Eventually(t, func() bool { return store.in.Load() >= 1 }, 10*time.Second, time.Millisecond)
	held := make([]abandonPlan, heldBack)
	for i := range held {
		held[i] = abandonPlan{providerID: fmt.Sprintf("%s-held-%d", ep.name, i), sender: "busy", timeout: 30 * time.Millisecond}
	}
	sendAll(held).Wait()

	// Then a storm: a quarter from the busy customer, half the senders
	// giving up at random. The database answers again once it began.
	rng := rand.New(rand.NewPCG(1, uint64(len(ep.name))))
	plans := make([]abandonPlan, storm)
	for i := range plans {
		p := abandonPlan{providerID: fmt.Sprintf("%s-%d", ep.name, i%distinct), sender: "busy"}
		if i%distinct%4 != 0 {
			p.sender = fmt.Sprint("customer-", i%distinct%40)
		}
		switch rng.IntN(4) {
		case 0:
			p.timeout = time.Duration(1+rng.IntN(20)) * time.Millisecond
		case 1:
			p.cancelAfter = time.Duration(1+rng.IntN(20)) * time.Millisecond
		}
		plans[i] = p
	}
	before := received.Load()
	stormDone := sendAll(plans)
	require.Eventually(t, func() bool { return received.Load() >= before+50 }, 10*time.Second, time.Millisecond)
	release()
	waitOrStall(t, stormDone, "the storm's senders", giveUp)
	waitOrStall(t, first, "the first sender", giveUp)

	// Intake still answers: a lane left without a leader would hang here.
	done := make(chan int, 1)
	go func() {
		res, err := client.Do(ep.request(t, srv.URL, ep.name+"-probe", "busy", int(nonce.Add(1))).WithContext(root))
		if err != nil {
			done <- 0
			return
		}
		res.Body.Close()
		done <- res.StatusCode
	}()
	select {
	case code := <-done:
		require.Equal(t, http.StatusOK, code, "a request after the storm is stored")
	case <-time.After(30 * time.Second):
		giveUp()
		t.Fatal("intake stalled: a request after the abandoned ones got no answer in 30 s")
	}

	stored := map[string]int{} // provider id -> messages stored under it
	require.NoError(t, store.View(context.Background(), abandonTenant, func(tx driver.Tx) error {
		q := inbox.ConversationQuery{Limit: 500}
		for {
			page, err := tx.ListConversations(q)
			if err != nil {
				return err
			}
			for _, c := range page.Items {
				msgs, err := tx.ListMessages(c.ID)
				if err != nil {
					return err
				}
				for _, m := range msgs {
					stored[m.ProviderID]++
				}
			}
			if page.NextCursor == "" {
				return nil
			}
			q.Cursor = page.NextCursor
		}
	}))

	acked, gaveUp, storedAnswers := 0, 0, map[string]int{}
	for _, a := range answers {
		switch {
		case a.code == 0:
			gaveUp++
			continue
		case a.code/100 != 2:
			t.Fatalf("request for %s answered %d %+v", a.providerID, a.code, a.reply)
		}
		acked++
		require.Contains(t, []string{"stored", "duplicate"}, a.reply.Status, a.providerID)
		require.NotEmpty(t, a.reply.MessageID, "a 2xx answer for %s names its message", a.providerID)
		require.Equal(t, 1, stored[a.providerID], "a 2xx answer for %s names a message stored exactly once", a.providerID)
		if a.reply.Status == "stored" {
			storedAnswers[a.providerID]++
			require.Equal(t, 1, storedAnswers[a.providerID], "%s answered \"stored\" twice", a.providerID)
		}
	}
	for id, n := range stored {
		require.Equal(t, 1, n, "%s stored once", id)
	}
	require.GreaterOrEqual(t, gaveUp, heldBack, "the round abandons many requests")
	require.Greater(t, acked, storm/4, "many requests are answered")
	t.Logf("%s: %d answered 2xx, %d gave up, %d messages stored", ep.name, acked, gaveUp, len(stored))
}
