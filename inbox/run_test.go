package inbox_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/inbox/inboxtest"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// scriptedPuller is a Puller whose Pull runs a test-supplied function.
type scriptedPuller struct {
	id   string
	pull func(ctx context.Context, in string, cursor string, deliver inbox.DeliverFunc) error
}

func (p scriptedPuller) Kind() inbox.Source    { return inbox.SourceEmail }
func (p scriptedPuller) IntegrationID() string { return p.id }
func (p scriptedPuller) Pull(ctx context.Context, cursor string, deliver inbox.DeliverFunc) error {
	return p.pull(ctx, p.id, cursor, deliver)
}

func scripted(pull func(ctx context.Context, in string, cursor string, deliver inbox.DeliverFunc) error) map[inbox.Source]inbox.ChannelFactory {
	return map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: func(_ context.Context, in inbox.Integration, _ inbox.SecretFunc) (inbox.Channel, error) {
		return scriptedPuller{id: in.ID, pull: pull}, nil
	}}
}

// deliverOne ingests one message and moves the cursor to n.
func deliverOne(ctx context.Context, in string, n int, deliver inbox.DeliverFunc) error {
	m := email(fmt.Sprintf("%s-%d", in, n), "client@x.example", "Commande "+strconv.Itoa(n), "texte")
	m.IntegrationID = ""
	c := strconv.Itoa(n)
	_, err := deliver(ctx, inbox.Batch{Cursor: &c, Messages: []inbox.Inbound{m}})
	return err
}

// run starts Engine.Run and returns the function that stops it and waits.
func (e *env) run(opts inbox.RunOptions) (stop func()) {
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		require.NoError(e.t, e.engine.Run(ctx, opts))
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			e.t.Fatal("Run did not return after its context ended")
		}
	}
	e.t.Cleanup(stop)
	return stop
}

func (e *env) cursor(id string) string {
	e.t.Helper()
	var in inbox.Integration
	require.NoError(e.t, e.store.View(e.ctx, tenantA, func(tx driver.Tx) error {
		var err error
		in, err = tx.GetIntegration(id)
		return err
	}))
	return in.Cursor
}

func TestRunRenewsTheLeaseOfALongSyncAndReleasesIt(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	e := newEnv(t, inbox.Options{Clock: inbox.SystemClock{}, Channels: scripted(func(ctx context.Context, in, cursor string, deliver inbox.DeliverFunc) error {
		if cursor != "" {
			return nil
		}
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
			return ctx.Err()
		}
		return deliverOne(ctx, in, 1, deliver)
	})})
	integ := e.integration(inbox.SourceEmail, nil)
	lease := "sync/" + string(tenantA) + "/" + integ.ID
	e.run(inbox.RunOptions{SyncInterval: time.Hour, LeaseTTL: time.Second, Instance: "a"})
	<-started

	// Several lease periods pass during the sync: renewal keeps the lease.
	// (A period of a second leaves room for a loaded machine's scheduling.)
	deadline := time.Now().Add(3500 * time.Millisecond)
	for time.Now().Before(deadline) {
		ok, err := e.store.AcquireLease(e.ctx, lease, "b", time.Minute)
		require.NoError(t, err)
		require.False(t, ok, "another instance took the lease of a running sync")
		time.Sleep(30 * time.Millisecond)
	}
	close(release)
	require.Eventually(t, func() bool { return e.cursor(integ.ID) == "1" }, 10*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool {
		ok, err := e.store.AcquireLease(e.ctx, lease, "b", time.Minute)
		return err == nil && ok
	}, 10*time.Second, 10*time.Millisecond, "the lease is released when the sync ends")
}

// stealingStore refuses renewals once steal is set, as if another
// instance had taken the lease while this one stalled.
type stealingStore struct {
	*memstore.Store
	steal atomic.Bool
}

func (s *stealingStore) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if s.steal.Load() {
		return false, nil
	}
	return s.Store.AcquireLease(ctx, name, holder, ttl)
}

func TestRunStopsASyncWhoseLeaseWasLost(t *testing.T) {
	st := &stealingStore{Store: memstore.New()}
	started := make(chan struct{}, 1)
	stopped := make(chan error, 1)
	eng, err := inbox.New(inbox.Options{Store: st, Channels: scripted(func(ctx context.Context, in, cursor string, deliver inbox.DeliverFunc) error {
		started <- struct{}{}
		<-ctx.Done()
		stopped <- ctx.Err()
		return ctx.Err()
	})})
	require.NoError(t, err)
	require.NoError(t, st.CreateTenant(context.Background(), &inbox.Tenant{ID: tenantA}))
	e := &env{t: t, ctx: context.Background(), store: st.Store, engine: eng}
	e.integration(inbox.SourceEmail, nil)
	e.run(inbox.RunOptions{SyncInterval: time.Hour, LeaseTTL: 90 * time.Millisecond})
	<-started
	st.steal.Store(true)
	select {
	case err := <-stopped:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("the sync went on after its lease was lost")
	}
}

func TestRunHangingMailboxTimesOutAndOthersSync(t *testing.T) {
	var hung atomic.Int32
	e := newEnv(t, inbox.Options{Clock: inbox.SystemClock{}, Channels: scripted(func(ctx context.Context, in, cursor string, deliver inbox.DeliverFunc) error {
		if cursor != "" {
			return nil
		}
		if in == "hang" {
			hung.Add(1)
			<-ctx.Done() // a server that accepted and never answers
			return fmt.Errorf("imap: %w: %w", inbox.ErrTemporary, ctx.Err())
		}
		return deliverOne(ctx, in, 1, deliver)
	})})
	hang := inbox.Integration{ID: "hang", TenantID: tenantA, Kind: inbox.SourceEmail, Name: "hang", Enabled: true}
	e.update(func(tx driver.Tx) error { return tx.CreateIntegration(&hang) })
	var others []string
	for range 4 {
		others = append(others, e.integration(inbox.SourceEmail, nil).ID)
	}
	// One connection slot besides the hanging mailbox's.
	e.run(inbox.RunOptions{SyncInterval: time.Hour, MaxConcurrentSyncs: 2, SyncTimeout: 300 * time.Millisecond, LeaseTTL: time.Minute, Instance: "a"})
	for _, id := range others {
		require.Eventually(t, func() bool { return e.cursor(id) == "1" }, 10*time.Second, 10*time.Millisecond)
	}
	require.Eventually(t, func() bool {
		h, err := e.engine.Health(e.ctx, tenantA)
		require.NoError(t, err)
		for _, x := range h {
			if x.IntegrationID == "hang" {
				return x.Status == inbox.IntegrationError && x.LastError != ""
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond, "the timed-out sync is recorded as an error")
	require.Eventually(t, func() bool {
		ok, err := e.store.AcquireLease(e.ctx, "sync/"+string(tenantA)+"/hang", "b", time.Minute)
		return err == nil && ok
	}, 10*time.Second, 10*time.Millisecond, "the timed-out sync released its lease")
	require.EqualValues(t, 1, hung.Load())
}

func TestRunCapsConnectionsPerHost(t *testing.T) {
	var mu sync.Mutex
	current, peak := map[string]int{}, map[string]int{}
	hostOf := map[string]string{}
	e := newEnv(t, inbox.Options{Clock: inbox.SystemClock{}, Channels: scripted(func(ctx context.Context, in, cursor string, deliver inbox.DeliverFunc) error {
		if cursor != "" {
			return nil
		}
		mu.Lock()
		h := hostOf[in]
		current[h]++
		peak[h] = max(peak[h], current[h])
		mu.Unlock()
		time.Sleep(30 * time.Millisecond) // hold the connection a while
		mu.Lock()
		current[h]--
		mu.Unlock()
		return deliverOne(ctx, in, 1, deliver)
	})})
	var ids []string
	for i := range 10 {
		host := "imap.gmail.com"
		if i%5 == 0 {
			host = "mail.example.net"
		}
		if i == 3 {
			host = "IMAP.Gmail.com " // the same host, however written
		}
		in := e.integration(inbox.SourceEmail, map[string]string{"imap_host": host})
		mu.Lock()
		hostOf[in.ID] = map[bool]string{true: "gmail", false: "other"}[host != "mail.example.net"]
		mu.Unlock()
		ids = append(ids, in.ID)
	}
	e.run(inbox.RunOptions{SyncInterval: time.Hour, MaxConcurrentSyncs: 8, MaxConnectionsPerHost: 2})
	for _, id := range ids {
		require.Eventually(t, func() bool { return e.cursor(id) == "1" }, 10*time.Second, 10*time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	require.LessOrEqual(t, peak["gmail"], 2)
	require.LessOrEqual(t, peak["other"], 2)
}

func TestRunShutdownLetsTheRunningBatchCommit(t *testing.T) {
	for _, tc := range []struct {
		name       string
		proceed    bool
		wantCursor string
	}{
		{"batch finishes within the shutdown timeout", true, "2"},
		{"batch cancelled after the shutdown timeout", false, "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mid := make(chan struct{}, 1)
			proceed := make(chan struct{})
			e := newEnv(t, inbox.Options{Clock: inbox.SystemClock{}, Channels: scripted(func(ctx context.Context, in, cursor string, deliver inbox.DeliverFunc) error {
				if cursor != "" {
					return nil
				}
				if err := deliverOne(ctx, in, 1, deliver); err != nil {
					return err
				}
				mid <- struct{}{}
				select { // the second batch is being fetched when shutdown begins
				case <-proceed:
				case <-ctx.Done():
					return ctx.Err()
				}
				return deliverOne(ctx, in, 2, deliver)
			})})
			integ := e.integration(inbox.SourceEmail, nil)
			timeout := time.Minute
			if !tc.proceed {
				timeout = 100 * time.Millisecond
			}
			stop := e.run(inbox.RunOptions{SyncInterval: time.Hour, ShutdownTimeout: timeout})
			<-mid
			returned := make(chan struct{})
			go func() {
				stop()
				close(returned)
			}()
			if tc.proceed {
				select {
				case <-returned:
					t.Fatal("Run returned before the running sync finished")
				case <-time.After(100 * time.Millisecond):
				}
				close(proceed)
			}
			<-returned
			require.Equal(t, tc.wantCursor, e.cursor(integ.ID))
			require.Len(t, e.messagesOf(t), map[string]int{"2": 2, "1": 1}[tc.wantCursor])
		})
	}
}

// messagesOf lists every message of the tenant.
func (e *env) messagesOf(t *testing.T) []inbox.Message {
	var out []inbox.Message
	require.NoError(t, e.store.View(e.ctx, tenantA, func(tx driver.Tx) error {
		page, err := tx.ListConversations(inbox.ConversationQuery{Limit: 500})
		for _, c := range page.Items {
			msgs, err := tx.ListMessages(c.ID)
			if err != nil {
				return err
			}
			out = append(out, msgs...)
		}
		return err
	}))
	return out
}

func TestRunSkipsDisabledIntegrationsAndManualSyncExplains(t *testing.T) {
	var pulls sync.Map
	e := newEnv(t, inbox.Options{Clock: inbox.SystemClock{}, Channels: scripted(func(ctx context.Context, in, cursor string, deliver inbox.DeliverFunc) error {
		n, _ := pulls.LoadOrStore(in, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		return nil
	})})
	enabled := e.integration(inbox.SourceEmail, nil)
	disabled := inbox.Integration{TenantID: tenantA, Kind: inbox.SourceEmail, Name: "off", Enabled: false}
	e.update(func(tx driver.Tx) error { return tx.CreateIntegration(&disabled) })
	e.run(inbox.RunOptions{SyncInterval: 20 * time.Millisecond})
	require.Eventually(t, func() bool {
		n, ok := pulls.Load(enabled.ID)
		return ok && n.(*atomic.Int32).Load() >= 3
	}, 10*time.Second, 10*time.Millisecond)
	_, pulled := pulls.Load(disabled.ID)
	require.False(t, pulled, "a disabled integration is never synced")

	_, err := e.engine.Sync(e.ctx, tenantA, disabled.ID)
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.ErrorContains(t, err, "disabled")
	_, err = e.engine.Sync(e.ctx, tenantA, "no-such-integration")
	require.ErrorIs(t, err, inbox.ErrNotFound)
	require.ErrorContains(t, err, "no-such-integration")
	_, err = e.engine.Sync(e.ctx, "no-such-tenant", enabled.ID)
	require.ErrorIs(t, err, inbox.ErrNotFound)
}

// scanCounter counts the scheduler's scans (ListTenants calls).
type scanCounter struct {
	*memstore.Store
	scans atomic.Int64
}

func (s *scanCounter) ListTenants(ctx context.Context) ([]inbox.Tenant, error) {
	s.scans.Add(1)
	return s.Store.ListTenants(ctx)
}

func TestRunBacksOffAFailingIntegration(t *testing.T) {
	st := &scanCounter{Store: memstore.New()}
	clock := newFakeClock()
	var pulls atomic.Int32
	eng, err := inbox.New(inbox.Options{Store: st, Clock: clock, Channels: scripted(func(ctx context.Context, in, cursor string, deliver inbox.DeliverFunc) error {
		pulls.Add(1)
		return fmt.Errorf("imap: %w: connection refused", inbox.ErrTemporary)
	})})
	require.NoError(t, err)
	require.NoError(t, st.CreateTenant(context.Background(), &inbox.Tenant{ID: tenantA}))
	e := &env{t: t, ctx: context.Background(), store: st.Store, clock: clock, engine: eng}
	e.integration(inbox.SourceEmail, nil)
	const interval = 20 * time.Millisecond
	e.run(inbox.RunOptions{SyncInterval: interval, FollowUpInterval: time.Hour, OutboxInterval: time.Hour})

	// waitScans lets the scheduler scan n more times.
	waitScans := func(n int64) {
		from := st.scans.Load()
		require.Eventually(t, func() bool { return st.scans.Load() >= from+n }, 10*time.Second, time.Millisecond)
	}
	require.Eventually(t, func() bool { return pulls.Load() == 1 }, 10*time.Second, time.Millisecond)
	for i, step := range []struct {
		advance time.Duration
		want    int32
	}{
		{0, 1},                  // the clock has not moved: no retry
		{interval, 1},           // one interval is not enough after a failure
		{interval * 13 / 10, 2}, // 2.3 intervals since the failure > 2 × (1 + 10%)
		{interval * 23 / 10, 2}, // 2.3 intervals since the second < 4 × (1 - 10%)
		{interval * 23 / 10, 3}, // 4.6 intervals since the second > 4 × (1 + 10%)
	} {
		clock.Advance(step.advance)
		if step.want > pulls.Load() {
			require.Eventually(t, func() bool { return pulls.Load() == step.want }, 10*time.Second, time.Millisecond, "step %d", i)
			// let the runner record this failure before the clock moves on
			waitScans(3)
		} else {
			waitScans(5)
			require.Equal(t, step.want, pulls.Load(), "step %d", i)
		}
	}
}

// watchedMailbox is a Puller and Watcher that counts running watchers.
type watchedMailbox struct {
	id           string
	active, peak *atomic.Int32
	notify       chan struct{}
}

func (w watchedMailbox) Kind() inbox.Source    { return inbox.SourceEmail }
func (w watchedMailbox) IntegrationID() string { return w.id }
func (w watchedMailbox) Pull(context.Context, string, inbox.DeliverFunc) error {
	return nil
}
func (w watchedMailbox) Watch(ctx context.Context, notify func()) error {
	n := w.active.Add(1)
	defer w.active.Add(-1)
	for {
		cur := w.peak.Load()
		if n <= cur || w.peak.CompareAndSwap(cur, n) {
			break
		}
	}
	<-ctx.Done()
	return nil
}

func TestRunWatchesEachMailboxOnceAcrossInstancesAndStopsWhenDisabled(t *testing.T) {
	var active, peak atomic.Int32
	factory := map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: func(_ context.Context, in inbox.Integration, _ inbox.SecretFunc) (inbox.Channel, error) {
		return watchedMailbox{id: in.ID, active: &active, peak: &peak}, nil
	}}
	clock := inboxtest.NewClock(time.Now())
	e := newEnv(t, inbox.Options{Clock: clock, Channels: factory})
	// A second instance shares the store, and so the leases, and the clock.
	other, err := inbox.New(inbox.Options{Store: e.store, Channels: factory, Clock: clock})
	require.NoError(t, err)
	t.Cleanup(func() { _ = other.Close() })
	integ := e.integration(inbox.SourceEmail, nil)

	opts := inbox.RunOptions{SyncInterval: time.Minute, Watch: true, LeaseTTL: time.Hour}
	opts.Instance = "a"
	e.run(opts)
	opts.Instance = "b"
	(&env{t: t, ctx: e.ctx, store: e.store, engine: other}).run(opts)

	require.Eventually(t, func() bool { return active.Load() == 1 }, 10*time.Second, time.Millisecond)
	for range 5 { // several scans by both instances, each finished before the next
		require.NoError(t, clock.Tick(e.ctx, time.Minute))
	}
	require.EqualValues(t, 1, peak.Load(), "two instances watched one mailbox")

	e.update(func(tx driver.Tx) error {
		in, err := tx.GetIntegration(integ.ID)
		require.NoError(t, err)
		in.Enabled = false
		return tx.UpdateIntegration(&in)
	})
	require.NoError(t, clock.Tick(e.ctx, time.Minute))
	require.NoError(t, clock.Tick(e.ctx, time.Minute))
	require.Eventually(t, func() bool { return active.Load() == 0 }, 10*time.Second, time.Millisecond, "the watcher of a disabled integration stops")
	ok, err := e.store.AcquireLease(e.ctx, "watch/"+string(tenantA)+"/"+integ.ID, "c", time.Minute)
	require.NoError(t, err)
	require.True(t, ok, "the watch lease is released")
}

// A restarted instance does not wait for the next scheduled sync: it
// syncs every mailbox at once and starts its watchers, even when the
// mailbox was synced moments before the restart.
func TestRunSyncsAndWatchesAtOnceOnStart(t *testing.T) {
	var active, peak atomic.Int32
	var pulls atomic.Int32
	factory := map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: func(_ context.Context, in inbox.Integration, _ inbox.SecretFunc) (inbox.Channel, error) {
		return countingWatched{watchedMailbox{id: in.ID, active: &active, peak: &peak}, &pulls}, nil
	}}
	clock := inboxtest.NewClock(time.Now())
	e := newEnv(t, inbox.Options{Clock: clock, Channels: factory})
	integ := e.integration(inbox.SourceEmail, nil)
	e.update(func(tx driver.Tx) error { // synced just before the restart
		return tx.SetIntegrationStatus(integ.ID, inbox.IntegrationOK, inbox.SyncReport{StartedAt: clock.Now(), FinishedAt: clock.Now()})
	})
	e.run(inbox.RunOptions{SyncInterval: time.Hour, Watch: true})
	require.Eventually(t, func() bool { return active.Load() == 1 && pulls.Load() >= 1 }, 10*time.Second, time.Millisecond,
		"watcher and first sync start with Run, no clock tick needed")
}

type countingWatched struct {
	watchedMailbox
	pulls *atomic.Int32
}

func (c countingWatched) Pull(ctx context.Context, cursor string, deliver inbox.DeliverFunc) error {
	c.pulls.Add(1)
	return nil
}

// A watcher's signal that comes while this process is already syncing the
// mailbox (the start-up sync, which may have looked before the signalled
// mail arrived) gets a sync of its own once that one is done: mail
// delivered between the start-up sync and the start of IDLE is not left
// to the next scheduled sync.
func TestWatcherSignalDuringASyncGetsASyncOfItsOwn(t *testing.T) {
	var pulls atomic.Int32
	firstPull, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	factory := map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: func(_ context.Context, in inbox.Integration, _ inbox.SecretFunc) (inbox.Channel, error) {
		return signalDuringPull{id: in.ID, pulls: &pulls, firstPull: firstPull, release: release, once: &once}, nil
	}}
	e := newEnv(t, inbox.Options{Channels: factory})
	e.integration(inbox.SourceEmail, nil)
	e.run(inbox.RunOptions{SyncInterval: time.Hour, Watch: true})
	select {
	case <-firstPull:
	case <-time.After(10 * time.Second):
		t.Fatal("the start-up sync did not begin")
	}
	// The watcher signals while the start-up pull runs; give its signal
	// time to reach the running sync before that one ends.
	time.Sleep(100 * time.Millisecond)
	close(release)
	require.Eventually(t, func() bool { return pulls.Load() >= 2 }, 10*time.Second, 5*time.Millisecond,
		"the signal during the start-up sync got a sync of its own")
}

// signalDuringPull is a mailbox whose first pull waits for release, and
// whose watcher signals new mail while that pull runs.
type signalDuringPull struct {
	id                 string
	pulls              *atomic.Int32
	firstPull, release chan struct{}
	once               *sync.Once
}

func (s signalDuringPull) Kind() inbox.Source    { return inbox.SourceEmail }
func (s signalDuringPull) IntegrationID() string { return s.id }

func (s signalDuringPull) Pull(ctx context.Context, _ string, _ inbox.DeliverFunc) error {
	if s.pulls.Add(1) == 1 {
		s.once.Do(func() { close(s.firstPull) })
		select {
		case <-s.release:
		case <-ctx.Done():
		}
	}
	return nil
}

func (s signalDuringPull) Watch(ctx context.Context, notify func()) error {
	select {
	case <-s.firstPull:
		notify()
	case <-ctx.Done():
	}
	<-ctx.Done()
	return nil
}
