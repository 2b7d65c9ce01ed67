package webhook

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// countingStore counts write transactions and makes each take a while,
// like a disk sync.
type countingStore struct {
	inbox.Store
	updates atomic.Int64
}

func (s *countingStore) Update(ctx context.Context, tenant inbox.TenantID, fn func(tx inbox.Tx) error) error {
	s.updates.Add(1)
	time.Sleep(2 * time.Millisecond)
	return s.Store.Update(ctx, tenant, fn)
}

func TestCoalescerGroupsConcurrentRequests(t *testing.T) {
	env := newTestEnv(t, time.Unix(1735740000, 0))
	counting := &countingStore{Store: env.store}
	eng, err := inbox.New(inbox.Options{Store: counting, Clock: env.clock})
	require.NoError(t, err)
	c := newCoalescer(eng)

	const n = 60
	items := make([]inbox.IngestItem, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("ext-%d", i%50) // ten ids are posted twice
			in := inbox.Inbound{Source: inbox.SourceWebhook, IntegrationID: "int-hook", ProviderID: id,
				From: inbox.Party{Email: fmt.Sprintf("c%d@example.com", i%7)}, Text: "hello " + id}
			item, err := c.ingest(context.Background(), testTenant, in)
			require.NoError(t, err)
			items[i] = item
		}()
	}
	wg.Wait()
	stored, dups := 0, 0
	for _, it := range items {
		switch it.Status {
		case inbox.IngestStored:
			stored++
		case inbox.IngestDuplicate:
			dups++
		}
		require.NotEmpty(t, it.MessageID)
	}
	require.Equal(t, 50, stored)
	require.Equal(t, 10, dups)
	require.Len(t, env.messages(t), 50)
	require.Less(t, counting.updates.Load(), int64(n), "concurrent requests share transactions")
}

func TestCoalescerReportsStoreFailureToEveryRequest(t *testing.T) {
	env := newTestEnv(t, time.Unix(1735740000, 0))
	c := newCoalescer(env.eng)
	env.store.failing.Store(true)
	var wg sync.WaitGroup
	var failures atomic.Int64
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.ingest(context.Background(), testTenant, inbox.Inbound{Source: inbox.SourceWebhook, IntegrationID: "i",
				ProviderID: fmt.Sprint(i), From: inbox.Party{ID: "u"}, Text: "x"})
			if err != nil {
				failures.Add(1)
			}
		}()
	}
	wg.Wait()
	require.EqualValues(t, 20, failures.Load())
	env.store.failing.Store(false)
	item, err := c.ingest(context.Background(), testTenant, inbox.Inbound{Source: inbox.SourceWebhook, IntegrationID: "i", ProviderID: "ok", From: inbox.Party{ID: "u"}, Text: "x"})
	require.NoError(t, err)
	require.Equal(t, inbox.IngestStored, item.Status)
}

func TestCoalescerSurvivesAbandonedRequests(t *testing.T) {
	env := newTestEnv(t, time.Unix(1735740000, 0))
	counting := &countingStore{Store: env.store}
	eng, err := inbox.New(inbox.Options{Store: counting, Clock: env.clock})
	require.NoError(t, err)
	c := newCoalescer(eng)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			if i%2 == 1 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Millisecond)
				defer cancel()
			}
			_, _ = c.ingest(ctx, testTenant, inbox.Inbound{Source: inbox.SourceWebhook, IntegrationID: "i",
				ProviderID: fmt.Sprint(i), From: inbox.Party{ID: "u"}, Text: "x"})
		}()
	}
	wg.Wait()
	// Every message, abandoned or not, is committed, and nobody waits
	// forever for a leader that left.
	require.Eventually(t, func() bool { return len(env.messages(t)) == 40 }, 5*time.Second, 10*time.Millisecond)
}
