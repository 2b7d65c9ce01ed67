package inbox_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// memBroker is an in-process broker shared by several engines.
type memBroker struct {
	mu        sync.Mutex
	listeners []func([]byte)
}

func (b *memBroker) Publish(_ context.Context, p []byte) error {
	b.mu.Lock()
	ls := append([](func([]byte)){}, b.listeners...)
	b.mu.Unlock()
	for _, l := range ls {
		l(p)
	}
	return nil
}

func (b *memBroker) Listen(ctx context.Context, fn func([]byte)) error {
	b.mu.Lock()
	b.listeners = append(b.listeners, fn)
	b.mu.Unlock()
	<-ctx.Done()
	return nil
}

func TestBrokerDeliversEventsAcrossInstancesOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := memstore.New()
	require.NoError(t, store.CreateTenant(ctx, &inbox.Tenant{ID: tenantA}))
	broker := &memBroker{}
	var engines []*inbox.Engine
	for range 2 {
		e, err := inbox.New(inbox.Options{Store: store})
		require.NoError(t, err)
		defer e.Close()
		engines = append(engines, e)
		go func() { _ = e.RunBroker(ctx, broker) }()
	}
	require.Eventually(t, func() bool { broker.mu.Lock(); defer broker.mu.Unlock(); return len(broker.listeners) == 2 }, 5*time.Second, 10*time.Millisecond)

	var mu sync.Mutex
	seen := map[int][]inbox.EventType{}
	for i, e := range engines {
		e.Subscribe(func(ev inbox.Event) { mu.Lock(); seen[i] = append(seen[i], ev.Type); mu.Unlock() })
	}
	_, err := engines[0].Ingest(ctx, tenantA, []inbox.Inbound{sms("s1", "+33600000001", "bonjour")})
	require.NoError(t, err)
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(seen[1]) == 2 }, 5*time.Second, time.Millisecond)
	// A second message is a marker: events reach each subscriber in order,
	// so once its two events arrived, a duplicate of the first message's
	// would have arrived before them.
	_, err = engines[0].Ingest(ctx, tenantA, []inbox.Inbound{sms("s2", "+33600000002", "marqueur")})
	require.NoError(t, err)
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(seen[0]) >= 4 && len(seen[1]) >= 4 }, 5*time.Second, time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen[0], 4, "the producing instance sees its events once")
	require.ElementsMatch(t, seen[0], seen[1])
}
