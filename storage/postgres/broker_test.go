package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/internal/testenv"
	"github.com/inboxkit/inboxkit/storage/postgres"
)

// requirePostgres ends the test when the test server is unreachable.
func requirePostgres(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testDSN())
	if err != nil {
		testenv.Missing(t, "PostgreSQL not reachable at INBOXKIT_TEST_POSTGRES: %v", err)
	}
	_ = conn.Close(ctx)
}

// instance is one engine with its store and broker, as a server runs it.
type instance struct {
	store  *postgres.Store
	engine *inbox.Engine
	mu     sync.Mutex
	events []inbox.Event
}

func (i *instance) received(typ inbox.EventType) []inbox.Event {
	i.mu.Lock()
	defer i.mu.Unlock()
	var out []inbox.Event
	for _, ev := range i.events {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

func startInstance(t *testing.T, schema string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := postgres.Open(ctx, testDSN(), postgres.Options{Schema: schema, MaxConns: 4})
	require.NoError(t, err)
	eng, err := inbox.New(inbox.Options{Store: s})
	require.NoError(t, err)
	b, err := postgres.NewBroker(testDSN(), postgres.BrokerOptions{Schema: schema})
	require.NoError(t, err)
	in := &instance{store: s, engine: eng}
	eng.Subscribe(func(ev inbox.Event) {
		in.mu.Lock()
		in.events = append(in.events, ev)
		in.mu.Unlock()
	})
	done := make(chan error, 1)
	go func() { done <- eng.RunBroker(ctx, b) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
		b.Close()
		_ = eng.Close()
		_ = s.Close()
	})
	return in
}

func inbound(n int) inbox.Inbound {
	return inbox.Inbound{
		IntegrationID: "support", Source: inbox.SourceEmail, ProviderID: fmt.Sprintf("uid-%d", n),
		MessageID: fmt.Sprintf("m%d@client.example", n), From: inbox.Party{Email: "client@client.example"},
		To: []inbox.Party{{Email: "support@maison-lumiere.example"}}, Subject: fmt.Sprintf("Commande %d", n), Text: "Bonjour",
	}
}

// TestBrokerCarriesEventsBetweenInstances runs two engines on one
// database: a message ingested on A reaches B's subscribers once, and A's
// subscribers do not get their own event back from the broker.
func TestBrokerCarriesEventsBetweenInstances(t *testing.T) {
	requirePostgres(t)
	schema := freshSchema(t)
	a, b := startInstance(t, schema), startInstance(t, schema)
	ctx := context.Background()
	require.NoError(t, a.store.CreateTenant(ctx, &inbox.Tenant{ID: "acme", Name: "Maison Lumière"}))

	// B's listening connection comes up asynchronously: ingest until one
	// message's event arrives.
	n := 0
	require.Eventually(t, func() bool {
		n++
		_, err := a.engine.Ingest(ctx, "acme", []inbox.Inbound{inbound(n)})
		require.NoError(t, err)
		return len(b.received(inbox.EventMessageReceived)) > 0
	}, 20*time.Second, 200*time.Millisecond)

	n++
	res, err := a.engine.Ingest(ctx, "acme", []inbox.Inbound{inbound(n)})
	require.NoError(t, err)
	require.Len(t, res.Items, 1)
	want := res.Items[0].MessageID
	require.Eventually(t, func() bool {
		for _, ev := range b.received(inbox.EventMessageReceived) {
			if ev.MessageID == want {
				return true
			}
		}
		return false
	}, 20*time.Second, 20*time.Millisecond)
	for _, ev := range b.received(inbox.EventMessageReceived) {
		require.Equal(t, inbox.TenantID("acme"), ev.TenantID)
	}
	time.Sleep(200 * time.Millisecond) // give a wrongly echoed event the time to arrive
	require.Len(t, a.received(inbox.EventMessageReceived), n, "A's subscribers see each of its messages once")
	seen := map[string]int{}
	for _, ev := range b.received(inbox.EventMessageReceived) {
		seen[ev.MessageID]++
	}
	for id, c := range seen {
		require.Equal(t, 1, c, "message %s delivered to B more than once", id)
	}
}

func TestBrokerReconnectsItsListeningConnection(t *testing.T) {
	requirePostgres(t)
	schema := freshSchema(t)
	b, err := postgres.NewBroker(testDSN(), postgres.BrokerOptions{Schema: schema, MaxReconnectDelay: 200 * time.Millisecond})
	require.NoError(t, err)
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan string, 100)
	done := make(chan error, 1)
	go func() { done <- b.Listen(ctx, func(p []byte) { got <- string(p) }) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()
	waitFor := func(payload string) {
		t.Helper()
		require.Eventually(t, func() bool {
			require.NoError(t, b.Publish(context.Background(), []byte(payload)))
			for {
				select {
				case p := <-got:
					if p == payload {
						return true
					}
				case <-time.After(100 * time.Millisecond):
					return false
				}
			}
		}, 20*time.Second, 10*time.Millisecond)
	}
	waitFor("before")
	// The server drops the listening connection (restart, failover...).
	res, err := adminDB(t).Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'inboxkit-broker-listen' AND query LIKE 'LISTEN%' AND query LIKE '%` + b.Channel() + `%'`)
	require.NoError(t, err)
	killed, _ := res.RowsAffected()
	require.EqualValues(t, 1, killed)
	waitFor("after")
}

func TestBrokerRefusesBadInput(t *testing.T) {
	b, err := postgres.NewBroker("postgres://inboxkit@127.0.0.1:1/none?sslmode=disable", postgres.BrokerOptions{})
	require.NoError(t, err, "the broker connects lazily")
	defer b.Close()
	require.Equal(t, postgres.DefaultChannel, b.Channel())
	err = b.Publish(context.Background(), []byte(strings.Repeat("x", postgres.MaxPayload+1)))
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.ErrorContains(t, err, "8000")
	require.ErrorIs(t, b.Publish(context.Background(), []byte("a\x00b")), inbox.ErrInvalid)

	for _, opts := range []postgres.BrokerOptions{{Channel: "Events; DROP TABLE x"}, {Schema: strings.Repeat("s", 60)}} {
		_, err := postgres.NewBroker(testDSN(), opts)
		require.ErrorIs(t, err, inbox.ErrInvalid)
	}
	_, err = postgres.NewBroker("postgres://%zz", postgres.BrokerOptions{})
	require.ErrorIs(t, err, inbox.ErrInvalid)
}
