package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// slowStore counts write transactions, makes each take a while like a
// disk sync, and fails them on demand.
type slowStore struct {
	inbox.Store
	updates atomic.Int64
	failing atomic.Bool
}

func (s *slowStore) Update(ctx context.Context, tenant inbox.TenantID, fn func(tx inbox.Tx) error) error {
	s.updates.Add(1)
	time.Sleep(2 * time.Millisecond)
	if s.failing.Load() {
		return errors.New("disk I/O error")
	}
	return s.Store.Update(ctx, tenant, fn)
}

func newSlowEngine(t *testing.T) (*inbox.Engine, *slowStore, *memstore.Store) {
	t.Helper()
	mem := memstore.New()
	require.NoError(t, mem.CreateTenant(context.Background(), &inbox.Tenant{ID: tenantA}))
	slow := &slowStore{Store: mem}
	eng, err := inbox.New(inbox.Options{Store: slow})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	return eng, slow, mem
}

func hook(id string) inbox.Inbound {
	return inbox.Inbound{Source: inbox.SourceWebhook, IntegrationID: "hook", ProviderID: id, From: inbox.Party{ID: "u-" + id}, Text: "hello " + id}
}

func countMessages(t *testing.T, s inbox.Store) int {
	n := 0
	require.NoError(t, s.View(context.Background(), tenantA, func(tx inbox.Tx) error {
		page, err := tx.ListConversations(inbox.ConversationQuery{Limit: 500})
		for _, c := range page.Items {
			n += c.MessageCount
		}
		return err
	}))
	return n
}

func TestIngestOneGroupsConcurrentRequests(t *testing.T) {
	eng, slow, mem := newSlowEngine(t)
	const n = 60
	items := make([]inbox.IngestItem, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			item, err := eng.IngestOne(context.Background(), tenantA, hook(fmt.Sprintf("ext-%d", i%50))) // ten ids posted twice
			require.NoError(t, err)
			items[i] = item
		})
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
	require.Equal(t, 50, countMessages(t, mem))
	require.Less(t, slow.updates.Load(), int64(n), "concurrent requests share transactions")
}

func TestIngestOneReportsStoreFailureToEveryRequest(t *testing.T) {
	eng, slow, _ := newSlowEngine(t)
	slow.failing.Store(true)
	var wg sync.WaitGroup
	var failures atomic.Int64
	for i := range 20 {
		wg.Go(func() {
			if _, err := eng.IngestOne(context.Background(), tenantA, hook(fmt.Sprint(i))); err != nil {
				failures.Add(1)
			}
		})
	}
	wg.Wait()
	require.Equal(t, int64(20), failures.Load(), "no request is acknowledged when its transaction failed")
	slow.failing.Store(false)
	item, err := eng.IngestOne(context.Background(), tenantA, hook("ok"))
	require.NoError(t, err)
	require.Equal(t, inbox.IngestStored, item.Status)
}

func TestIngestOneSurvivesAbandonedRequests(t *testing.T) {
	eng, _, mem := newSlowEngine(t)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			ctx := context.Background()
			if i%2 == 1 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Millisecond)
				defer cancel()
			}
			_, _ = eng.IngestOne(ctx, tenantA, hook(fmt.Sprint(i)))
		})
	}
	wg.Wait()
	// Every message, abandoned or not, is committed, and nobody waits
	// forever for a leader that left.
	require.Eventually(t, func() bool { return countMessages(t, mem) == 40 }, 5*time.Second, 10*time.Millisecond)
}
