package inbox

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"
)

// RunOptions configure Engine.Run. Zero values are the defaults.
type RunOptions struct {
	// SyncInterval is how often every enabled integration that can be
	// pulled is synced. 0 means one minute.
	SyncInterval time.Duration
	// OutboxInterval bounds how long a retry waits to be noticed. 0 means 5 s.
	OutboxInterval time.Duration
	// FollowUpInterval is how often due follow-ups are raised. 0 means 30 s.
	FollowUpInterval time.Duration
	// MaxConcurrentSyncs caps simultaneous mailbox connections of this
	// instance. 0 means 8.
	MaxConcurrentSyncs int
	// MaxConnectionsPerHost caps this instance's simultaneous syncs against
	// one mail server, the integrations being grouped by their "imap_host"
	// setting (case-insensitive), since providers such as Gmail refuse
	// connections beyond a small number. A sync waiting for its host does
	// not hold one of the MaxConcurrentSyncs slots. IDLE watchers are not
	// counted. 0 means no cap besides MaxConcurrentSyncs.
	MaxConnectionsPerHost int
	// SyncTimeout bounds one sync run, so a server that stops answering
	// frees its connection slot and its lease. 0 means 5 minutes.
	SyncTimeout time.Duration
	// LeaseTTL is how long a sync or watch lease lasts unless renewed,
	// when the store is a Leaser: the work of an instance that died is
	// taken over by another after at most this long. Leases are renewed
	// every third of it while the work runs. 0 means 30 s.
	LeaseTTL time.Duration
	// ShutdownTimeout is how long Run waits, once its context ended, for
	// running syncs to finish and commit; after it they are cancelled,
	// and the batch being ingested is rolled back with its cursor, to be
	// fetched again by the next sync. 0 means 30 s.
	ShutdownTimeout time.Duration
	// Instance names this process in leases. "" means hostname-pid-random.
	Instance string
	// OrphanInterval is how often the blobs that crashed processes left
	// behind are collected (CollectOrphanBlobs, and the temporary files of
	// a BlobStore with a RemoveLeftovers method), the first time at
	// start-up. 0 means one hour; negative means never.
	OrphanInterval time.Duration
	// Watch keeps a Watcher (IMAP IDLE) running for integrations that
	// offer one, syncing as soon as it signals new mail. With a Leaser,
	// one instance watches each integration.
	Watch bool
}

func (o *RunOptions) defaults() {
	if o.SyncInterval <= 0 {
		o.SyncInterval = time.Minute
	}
	if o.OutboxInterval <= 0 {
		o.OutboxInterval = 5 * time.Second
	}
	if o.FollowUpInterval <= 0 {
		o.FollowUpInterval = 30 * time.Second
	}
	if o.MaxConcurrentSyncs <= 0 {
		o.MaxConcurrentSyncs = 8
	}
	if o.SyncTimeout <= 0 {
		o.SyncTimeout = 5 * time.Minute
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 30 * time.Second
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 30 * time.Second
	}
	if o.Instance == "" {
		o.Instance = defaultInstance()
	}
	if o.OrphanInterval == 0 {
		o.OrphanInterval = time.Hour
	}
}

// Run does the engine's background work until ctx ends: periodic sync of
// every tenant's integrations (each under a lease, renewed while it runs,
// when the store is a Leaser), IDLE watchers when asked, the outbox worker
// and due follow-ups. Once ctx ends it starts no new work and returns when
// the running syncs have committed, or after ShutdownTimeout has cancelled
// them.
func (e *Engine) Run(ctx context.Context, opts RunOptions) error {
	if opts.Instance == "" {
		opts.Instance = e.instance
	}
	opts.defaults()
	e.syncInterval.Store(int64(opts.SyncInterval))
	// Syncs run under work, which outlives ctx by up to ShutdownTimeout
	// so that a batch being ingested commits instead of being rolled back.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	r := &runner{e: e, opts: opts, work: work, sem: make(chan struct{}, opts.MaxConcurrentSyncs),
		hosts: map[string]chan struct{}{}, running: map[string]bool{}, watching: map[string]context.CancelFunc{},
		failures: map[string]failure{}}
	if l, ok := e.store.(leaser); ok {
		r.leaser = l
	}
	var loops sync.WaitGroup
	loops.Go(func() { _ = e.RunOutbox(ctx, opts.OutboxInterval) })
	loops.Go(func() { _ = e.RunWork(ctx, opts.OutboxInterval) })
	loops.Go(func() { e.runReclassify(ctx) })
	loops.Go(func() { r.loop(ctx, opts.FollowUpInterval, r.followUps) })
	loops.Go(func() { r.loop(ctx, opts.SyncInterval, r.syncAll) })
	loops.Go(func() { r.loop(ctx, gaugeInterval, r.gauges) })
	if _, ok := e.blobs.(BlobLister); ok && opts.OrphanInterval > 0 {
		loops.Go(func() { r.loop(ctx, opts.OrphanInterval, r.collectOrphans) })
	}
	<-ctx.Done()
	loops.Wait() // nothing schedules new syncs any more

	finished := make(chan struct{})
	go func() {
		r.jobs.Wait()
		close(finished)
	}()
	grace := e.newTimer(opts.ShutdownTimeout)
	defer grace.Stop()
	select {
	case <-finished:
	case <-grace.C():
		e.log.Warn("inbox: shutdown timeout: cancelling running syncs", "timeout", opts.ShutdownTimeout)
		stopWork()
		<-finished
	}
	return nil
}

// runner is the state of one Run.
type runner struct {
	e      *Engine
	opts   RunOptions
	leaser leaser
	// work is the context of syncs: it ends ShutdownTimeout after Run's.
	work context.Context
	// jobs counts running syncs and watchers.
	jobs sync.WaitGroup
	sem  chan struct{}

	mu       sync.Mutex
	hosts    map[string]chan struct{}
	running  map[string]bool
	watching map[string]context.CancelFunc
	failures map[string]failure
	// orphansUntil is where the last orphan collection stopped: the
	// next one starts there.
	orphansUntil time.Time
	// scanned is set after the first scan: the one at start-up syncs
	// every integration at once, whatever its interval, so mail that
	// arrived while no instance ran is fetched without waiting.
	scanned bool
}

// failure is an integration's run of failed syncs: the next attempt waits
// for an exponential, jittered backoff.
type failure struct {
	count     int
	notBefore time.Time
}

func (r *runner) loop(ctx context.Context, every time.Duration, fn func(context.Context)) {
	t := r.e.newTicker(every)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}

// gaugeInterval is how often Run refreshes the gauges of Options.Metrics.
const gaugeInterval = 15 * time.Second

// gauges reports queue depths and sync lag to the host's Metrics.
func (r *runner) gauges(ctx context.Context) {
	if _, nop := r.e.metrics.host.(NopMetrics); nop {
		return
	}
	tenants, err := r.e.store.ListTenants(ctx)
	if err != nil {
		return
	}
	now := r.e.clock.Now()
	for _, t := range tenants {
		var outbox, pending, failed int
		var integs []Integration
		err := r.e.viewTx(ctx, t.ID, func(tx storeTx) error {
			o, err := tx.ListOutbox(OutboxQuery{Status: OutboxPending})
			if err != nil {
				return err
			}
			outbox = len(o)
			work, err := tx.ListWork(WorkQuery{Limit: 100_000})
			if err != nil {
				return err
			}
			for _, w := range work {
				if w.Failed {
					failed++
				} else {
					pending++
				}
			}
			integs, err = tx.ListIntegrations()
			return err
		})
		if err != nil {
			continue
		}
		m := r.e.metrics
		m.set("outbox_pending", float64(outbox), "tenant", string(t.ID))
		m.set("work_pending", float64(pending), "tenant", string(t.ID))
		m.set("work_failed", float64(failed), "tenant", string(t.ID))
		states := map[string]int{HealthOK: 0, HealthDegraded: 0, HealthFailing: 0, HealthDisabled: 0}
		for _, in := range integs {
			states[HealthState(in)]++
		}
		for state, n := range states {
			m.set("integrations", float64(n), "tenant", string(t.ID), "state", state)
		}
		for _, in := range integs {
			if !in.Enabled || r.e.channels[in.Kind] == nil {
				continue
			}
			last := in.CreatedAt
			r.e.successMu.Lock()
			if at, ok := r.e.lastSuccess[t.ID.key()+in.ID]; ok {
				last = at
			}
			r.e.successMu.Unlock()
			if in.Status == IntegrationOK && in.LastSync.FinishedAt.After(last) {
				last = in.LastSync.FinishedAt
			}
			m.set("sync_lag_seconds", now.Sub(last).Seconds(), "tenant", string(t.ID), "integration", in.ID)
		}
	}
}

func (r *runner) followUps(ctx context.Context) {
	tenants, err := r.e.store.ListTenants(ctx)
	if err != nil {
		return
	}
	for _, t := range tenants {
		// The lease is left to expire: one instance raises a tenant's
		// follow-ups per interval.
		if ok := r.lease(ctx, followUpLeaseName(t.ID), r.opts.FollowUpInterval); !ok {
			continue
		}
		if _, err := r.e.RaiseDueFollowUps(ctx, t.ID); err != nil && ctx.Err() == nil {
			r.e.log.Warn("inbox: raise follow-ups", "tenant", string(t.ID), "err", err)
		}
	}
}

// syncAll starts a sync for every due integration, bounded by the
// connection limits; syncs run concurrently with the next tick's scan. It
// also stops the watchers of integrations that were disabled or removed.
func (r *runner) syncAll(ctx context.Context) {
	tenants, err := r.e.store.ListTenants(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.e.log.Error("inbox: scheduler: list tenants", "err", err)
		}
		return
	}
	now := r.e.clock.Now()
	startup := !r.scanned
	r.scanned = true
	scanned := map[TenantID]bool{}
	active := map[string]bool{}
	for _, t := range tenants {
		var integs []Integration
		if err := r.e.viewTx(ctx, t.ID, func(tx storeTx) error {
			integs, err = tx.ListIntegrations()
			return err
		}); err != nil {
			if ctx.Err() == nil {
				r.e.log.Warn("inbox: scheduler: list integrations", "tenant", string(t.ID), "err", err)
			}
			continue
		}
		scanned[t.ID] = true
		for _, in := range integs {
			key := t.ID.key() + in.ID
			if in.Enabled {
				active[key] = true
			}
			if r.opts.Watch && r.watchable(in) {
				// Watchers start with Run, not after a first sync: new mail
				// is signalled within seconds of a restart.
				r.watch(ctx, t.ID, in)
			}
			catchUp := startup && r.watchable(in)
			if !r.due(in, now) && !catchUp {
				continue
			}
			r.mu.Lock()
			busy := r.running[key]
			r.running[key] = true
			r.mu.Unlock()
			if busy {
				continue
			}
			r.jobs.Go(func() {
				defer func() {
					r.mu.Lock()
					delete(r.running, key)
					r.mu.Unlock()
				}()
				r.syncOne(ctx, t.ID, in, !catchUp)
			})
		}
	}
	r.mu.Lock()
	for key, cancel := range r.watching {
		tenant, _, _ := strings.Cut(key, "/")
		if scanned[TenantID(tenant)] && !active[key] {
			cancel()
		}
	}
	r.mu.Unlock()
}

// watchable reports whether an integration may be watched and synced
// outside its schedule: enabled, with a channel, not paused by refused
// credentials.
func (r *runner) watchable(in Integration) bool {
	return in.Enabled && r.e.channels[in.Kind] != nil &&
		!(in.Status == IntegrationAuthFailed && !in.UpdatedAt.After(in.LastSync.FinishedAt))
}

// due reports whether an integration should be synced now: enabled, its
// interval elapsed (or, after failures, its backoff), and not paused by an
// authentication failure its settings have not fixed.
func (r *runner) due(in Integration, now time.Time) bool {
	if !in.Enabled || r.e.channels[in.Kind] == nil {
		return false
	}
	if in.Status == IntegrationAuthFailed && !in.UpdatedAt.After(in.LastSync.FinishedAt) {
		return false
	}
	r.mu.Lock()
	f, failing := r.failures[in.TenantID.key()+in.ID]
	r.mu.Unlock()
	if failing {
		return !now.Before(f.notBefore)
	}
	// A failure recorded by any instance (or a manual sync) sets the
	// next attempt the integration's health announces.
	if in.Status != IntegrationOK && in.LastSync.Failures > 0 && !in.LastSync.NextAttempt.IsZero() && !in.UpdatedAt.After(in.LastSync.FinishedAt) {
		return !now.Before(in.LastSync.NextAttempt)
	}
	// A second of slack keeps a sync that finished just after the previous
	// tick from waiting a whole extra interval.
	return in.LastSync.FinishedAt.IsZero() || now.Sub(in.LastSync.FinishedAt) >= r.opts.SyncInterval-time.Second
}

// backoff is the wait after count consecutive failures (retryDelay).
func (r *runner) backoff(count int) time.Duration { return retryDelay(r.opts.SyncInterval, count) }

// retryDelay is the wait after count consecutive failures: the sync
// interval doubled per failure, at most an hour, with ±10% jitter so
// integrations that failed together (a provider outage) do not retry in
// lockstep.
func retryDelay(interval time.Duration, count int) time.Duration {
	wait := interval
	for i := 0; i < count && wait < time.Hour; i++ {
		wait *= 2
	}
	wait = min(wait, time.Hour)
	return wait + time.Duration((rand.Float64()*0.2-0.1)*float64(wait))
}

func (id TenantID) key() string { return string(id) + "/" }

// hostKey groups integrations by mail server for MaxConnectionsPerHost.
func hostKey(in Integration) string {
	return strings.ToLower(strings.TrimSpace(in.Config["imap_host"]))
}

// slots waits for a connection slot of the integration's host, then one of
// the instance's, and returns the function that gives both back.
func (r *runner) slots(ctx context.Context, in Integration) (release func(), ok bool) {
	var host chan struct{}
	if h := hostKey(in); h != "" && r.opts.MaxConnectionsPerHost > 0 {
		r.mu.Lock()
		host = r.hosts[h]
		if host == nil {
			host = make(chan struct{}, r.opts.MaxConnectionsPerHost)
			r.hosts[h] = host
		}
		r.mu.Unlock()
		select {
		case host <- struct{}{}:
		case <-ctx.Done():
			return nil, false
		}
	}
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		if host != nil {
			<-host
		}
		return nil, false
	}
	return func() {
		<-r.sem
		if host != nil {
			<-host
		}
	}, true
}

// syncOne runs a scheduled sync of one integration; with checkDue it is
// skipped when another instance synced it meanwhile.
func (r *runner) syncOne(ctx context.Context, tenant TenantID, in Integration, checkDue bool) {
	fresh, err := r.syncLeased(ctx, tenant, in, checkDue)
	key := tenant.key() + in.ID
	if r.work.Err() != nil || errors.Is(err, errSkipped) {
		return
	}
	r.mu.Lock()
	if err != nil {
		f := r.failures[key]
		f.count++
		f.notBefore = r.e.clock.Now().Add(r.backoff(f.count))
		r.failures[key] = f
	} else {
		delete(r.failures, key)
	}
	r.mu.Unlock()
	if err != nil && !errors.Is(err, ErrUnsupported) {
		r.e.log.Warn("inbox: scheduled sync failed", "tenant", string(tenant), "integration", in.ID, "err", err)
	}
	if r.opts.Watch && err == nil && ctx.Err() == nil {
		r.watch(ctx, tenant, fresh)
	}
}

// errSkipped reports a sync that did not run because another instance has
// the integration or has just synced it; it is not a failure.
var errSkipped = errors.New("sync skipped")

// syncLeased syncs an integration under its lease, renewed while the sync
// runs. waitCtx bounds the wait for connection slots; the sync itself runs
// under the runner's work context and SyncTimeout. With checkDue the
// integration is read again once the lease is held and skipped if another
// instance synced it meanwhile. It returns the integration as read.
func (r *runner) syncLeased(waitCtx context.Context, tenant TenantID, in Integration, checkDue bool) (Integration, error) {
	release, ok := r.slots(waitCtx, in)
	if !ok {
		return in, errSkipped
	}
	defer release()
	name := syncLeaseName(tenant, in.ID)
	if !r.lease(waitCtx, name, r.opts.LeaseTTL) {
		return in, errSkipped
	}
	defer r.release(name)
	if checkDue && r.leaser != nil {
		err := r.e.viewTx(waitCtx, tenant, func(tx storeTx) error {
			var err error
			in, err = tx.GetIntegration(in.ID)
			return err
		})
		if err != nil || !r.due(in, r.e.clock.Now()) {
			return in, errSkipped
		}
	}
	sctx, cancel := context.WithTimeout(r.work, r.opts.SyncTimeout)
	defer cancel()
	stop := r.keep(sctx, name, cancel)
	_, joined, err := r.e.syncJoined(sctx, tenant, in.ID, false)
	stop()
	if joined && err == nil {
		// This process was already syncing the mailbox: that sync began
		// before this one was asked for (by a watcher's signal, say), so
		// it is skipped, and a watcher tries again.
		return in, errSkipped
	}
	return in, err
}

// watch starts the integration's Watcher once, under a watch lease so
// that one instance watches each mailbox; each signal triggers a sync.
func (r *runner) watch(ctx context.Context, tenant TenantID, in Integration) {
	key := tenant.key() + in.ID
	r.mu.Lock()
	if _, ok := r.watching[key]; ok {
		r.mu.Unlock()
		return
	}
	wctx, cancel := context.WithCancel(ctx)
	r.watching[key] = cancel
	r.mu.Unlock()
	forget := func() {
		cancel()
		r.mu.Lock()
		delete(r.watching, key)
		r.mu.Unlock()
	}
	name := watchLeaseName(tenant, in.ID)
	if !r.lease(wctx, name, r.opts.LeaseTTL) {
		forget()
		return
	}
	ch, err := r.e.OpenChannel(wctx, in)
	w, ok := ch.(Watcher)
	if err != nil || !ok {
		forget()
		r.release(name)
		return
	}
	r.jobs.Go(func() {
		defer r.release(name)
		defer forget()
		stop := r.keep(wctx, name, cancel)
		defer stop()
		kick := make(chan struct{}, 1)
		r.jobs.Go(func() {
			for {
				select {
				case <-wctx.Done():
					return
				case <-kick:
					_, err := r.syncLeased(wctx, tenant, in, false)
					switch {
					case errors.Is(err, errSkipped):
						// Another sync held the mailbox (this process's
						// start-up one, or another instance's) and may have
						// fetched before the signalled mail arrived: try
						// again shortly rather than leave it to the next
						// scheduled sync.
						t := r.e.newTimer(watchRetry)
						select {
						case <-wctx.Done():
							t.Stop()
							return
						case <-t.C():
						}
						select {
						case kick <- struct{}{}:
						default:
						}
					case err != nil && r.work.Err() == nil:
						r.e.log.Warn("inbox: sync after IDLE signal failed", "tenant", string(tenant), "integration", in.ID, "err", err)
					}
				}
			}
		})
		err := w.Watch(wctx, func() {
			select {
			case kick <- struct{}{}:
			default:
			}
		})
		if err != nil && wctx.Err() == nil {
			r.e.log.Warn("inbox: watcher stopped", "tenant", string(tenant), "integration", in.ID, "err", err)
		}
	})
}

// watchRetry is how soon a sync a watcher asked for is tried again when
// another sync of the mailbox held it.
const watchRetry = time.Second

// defaultInstance names this process: hostname, pid and a random suffix.
func defaultInstance() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%04x", host, os.Getpid(), rand.IntN(1<<16))
}

// leftoverRemover is a BlobStore that can remove the temporary files of
// writes a killed process never finished (blob.DirStore).
type leftoverRemover interface {
	RemoveLeftovers(ctx context.Context, olderThan time.Duration) (int, error)
}

// collectOrphans removes what crashed processes left in the BlobStore.
func (r *runner) collectOrphans(ctx context.Context) {
	e := r.e
	if lr, ok := e.blobs.(leftoverRemover); ok {
		if n, err := lr.RemoveLeftovers(ctx, DefaultOrphanGrace); err != nil && ctx.Err() == nil {
			e.log.Warn("inbox: removing temporary blob files failed", "err", err)
		} else if n > 0 {
			e.log.Info("inbox: removed temporary blob files of interrupted writes", "files", n)
		}
	}
	report, err := e.CollectOrphanBlobs(ctx, OrphanOptions{Since: r.orphansUntil})
	switch {
	case errors.Is(err, errors.ErrUnsupported):
		return
	case err != nil:
		if ctx.Err() == nil {
			e.log.Warn("inbox: collecting orphan blobs failed", "err", err)
		}
		return
	}
	r.orphansUntil = report.Until
}
