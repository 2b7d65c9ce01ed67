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
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// slowStore counts write transactions, makes each take a while like a
// disk sync, and fails them on demand.
type slowStore struct {
	driver.Store
	updates atomic.Int64
	failing atomic.Bool
}

func (s *slowStore) Update(ctx context.Context, tenant inbox.TenantID, fn func(tx driver.Tx) error) error {
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

// requestContext is a request's context; an abandoned request's ends
// after a millisecond, as when its client goes away while it waits.
func requestContext(abandoned bool) (context.Context, context.CancelFunc) {
	if abandoned {
		return context.WithTimeout(context.Background(), time.Millisecond)
	}
	return context.Background(), func() {}
}

func countMessages(t *testing.T, s driver.Store) int {
	n := 0
	require.NoError(t, s.View(context.Background(), tenantA, func(tx driver.Tx) error {
		q := inbox.ConversationQuery{Limit: 500}
		for {
			page, err := tx.ListConversations(q)
			if err != nil {
				return err
			}
			for _, c := range page.Items {
				n += c.MessageCount
			}
			if page.NextCursor == "" {
				return nil
			}
			q.Cursor = page.NextCursor
		}
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
			ctx, cancel := requestContext(i%2 == 1)
			defer cancel()
			_, _ = eng.IngestOne(ctx, tenantA, hook(fmt.Sprint(i)))
		})
	}
	wg.Wait()
	// Every message, abandoned or not, is committed, and nobody waits
	// forever for a leader that left.
	require.Eventually(t, func() bool { return countMessages(t, mem) == 40 }, 5*time.Second, 10*time.Millisecond)
}

// parallelStore runs up to n write transactions at once (a stand-in for
// PostgreSQL) and records how many overlapped. Each transaction waits a
// little for the others to arrive, so the overlap measured is what the
// engine offers, not what a busy machine's scheduler happened to allow.
type parallelStore struct {
	slowStore
	n               int
	active, maxSeen atomic.Int64
}

func (s *parallelStore) ParallelWrites() int { return s.n }

func (s *parallelStore) Update(ctx context.Context, tenant inbox.TenantID, fn func(tx driver.Tx) error) error {
	now := s.active.Add(1)
	defer s.active.Add(-1)
	for {
		seen := s.maxSeen.Load()
		if now <= seen || s.maxSeen.CompareAndSwap(seen, now) {
			break
		}
	}
	// Wait until all n lanes are in flight (or give up after a while,
	// as at the end of a wave, when fewer requests are left).
	for deadline := time.Now().Add(300 * time.Millisecond); s.maxSeen.Load() < int64(s.n) && time.Now().Before(deadline); {
		time.Sleep(200 * time.Microsecond)
	}
	return s.slowStore.Update(ctx, tenant, fn)
}

func TestIngestOneRunsParallelLanesOnParallelStores(t *testing.T) {
	mem := memstore.New()
	require.NoError(t, mem.CreateTenant(context.Background(), &inbox.Tenant{ID: tenantA}))
	store := &parallelStore{slowStore: slowStore{Store: mem}, n: 3}
	eng, err := inbox.New(inbox.Options{Store: store})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })

	// Several waves of customers, some requests abandoned: a lane whose
	// leader left without handing over would stall later waves.
	const waves, n = 6, 400
	for w := range waves {
		store.maxSeen.Store(0)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				ctx, cancel := requestContext(i%7 == 3)
				defer cancel()
				item, err := eng.IngestOne(ctx, tenantA, hook(fmt.Sprintf("w%d-%d", w, i%350)))
				if ctx.Err() != nil {
					return
				}
				require.NoError(t, err)
				require.NotEmpty(t, item.MessageID)
			})
		}
		wg.Wait()
		require.Eventually(t, func() bool { return countMessages(t, mem) == 350*(w+1) }, 5*time.Second, 10*time.Millisecond,
			"every message of wave %d is stored once", w)
		require.Equal(t, int64(3), store.maxSeen.Load(), "wave %d ran the store's three lanes at once, never more", w)
	}
	require.Less(t, store.updates.Load(), int64(waves*n), "concurrent requests still share transactions")
}

// gatedStore holds its first write transaction until release is closed.
type gatedStore struct {
	driver.Store
	entered chan struct{}
	release chan struct{}
	first   atomic.Bool
}

func (s *gatedStore) Update(ctx context.Context, tenant inbox.TenantID, fn func(tx driver.Tx) error) error {
	if s.first.CompareAndSwap(false, true) {
		close(s.entered)
		<-s.release
	}
	return s.Store.Update(ctx, tenant, fn)
}

// More requests give up than one batch holds, all ahead of one that still
// waits: that request must be answered only once its own message is
// stored, and the lane must keep serving later requests.
func TestIngestOneLeaderBehindAFullBatchOfAbandonedRequests(t *testing.T) {
	mem := memstore.New()
	require.NoError(t, mem.CreateTenant(context.Background(), &inbox.Tenant{ID: tenantA}))
	store := &gatedStore{Store: mem, entered: make(chan struct{}), release: make(chan struct{})}
	eng, err := inbox.New(inbox.Options{Store: store})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })

	first := make(chan error, 1)
	go func() {
		_, err := eng.IngestOne(context.Background(), tenantA, hook("first"))
		first <- err
	}()
	<-store.entered // the first request commits, alone, and is held there

	const gaveUp = 300 // more than two batches
	ctx, giveUp := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range gaveUp {
		wg.Go(func() {
			_, err := eng.IngestOne(ctx, tenantA, hook(fmt.Sprintf("gave-up-%d", i)))
			require.ErrorIs(t, err, context.Canceled)
		})
	}
	require.Eventually(t, func() bool { return inbox.QueuedIngests(eng, tenantA) == gaveUp }, 10*time.Second, time.Millisecond)
	giveUp()
	wg.Wait()

	last := make(chan inbox.IngestItem, 1)
	go func() {
		item, err := eng.IngestOne(context.Background(), tenantA, hook("last"))
		require.NoError(t, err)
		last <- item
	}()
	require.Eventually(t, func() bool { return inbox.QueuedIngests(eng, tenantA) == gaveUp+1 }, 10*time.Second, time.Millisecond)
	close(store.release)
	require.NoError(t, <-first)

	item := <-last
	require.Equal(t, inbox.IngestStored, item.Status)
	require.NotEmpty(t, item.MessageID)
	var m inbox.Message
	require.NoError(t, mem.View(context.Background(), tenantA, func(tx driver.Tx) error {
		var gerr error
		m, gerr = tx.GetMessage(item.MessageID)
		return gerr
	}))
	require.Equal(t, "last", m.ProviderID, "the answer names the request's own, stored message")
	require.Equal(t, gaveUp+2, countMessages(t, mem), "the abandoned messages are stored too")

	// The lane still has a leader: a later request is answered.
	done := make(chan error, 1)
	go func() {
		_, err := eng.IngestOne(context.Background(), tenantA, hook("after"))
		done <- err
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("intake stalled after the abandoned requests")
	}
}
