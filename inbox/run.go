package inbox

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"
)

// Leaser is an optional Store capability: named, expiring leases shared by
// every engine instance using the store, so a mailbox is synced by one
// instance at a time and a crashed instance's work is taken over when its
// lease expires. Without it the engine assumes it is alone.
type Leaser interface {
	// AcquireLease takes the lease name for holder until now+ttl, or
	// renews it if holder already has it. It returns false, without error,
	// when another holder has an unexpired lease.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease gives the lease up if holder has it.
	ReleaseLease(ctx context.Context, name, holder string) error
}

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
	// SyncTimeout bounds one sync run. 0 means 5 minutes.
	SyncTimeout time.Duration
	// Instance names this process in leases. "" means hostname-pid-random.
	Instance string
	// Watch keeps a Watcher (IMAP IDLE) running for integrations that
	// offer one, syncing as soon as it signals new mail.
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
	if o.Instance == "" {
		host, _ := os.Hostname()
		o.Instance = fmt.Sprintf("%s-%d-%04x", host, os.Getpid(), rand.IntN(1<<16))
	}
}

// Run does the engine's background work until ctx ends: periodic sync of
// every tenant's integrations (each under a lease when the store is a
// Leaser), IDLE watchers when asked, the outbox worker and due follow-ups.
// It returns after in-flight syncs and deliveries have committed.
func (e *Engine) Run(ctx context.Context, opts RunOptions) error {
	opts.defaults()
	r := &runner{e: e, opts: opts, sem: make(chan struct{}, opts.MaxConcurrentSyncs), watching: map[string]context.CancelFunc{}}
	if l, ok := e.store.(Leaser); ok {
		r.leaser = l
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = e.RunOutbox(ctx, opts.OutboxInterval) })
	wg.Go(func() { e.runReclassify(ctx) })
	wg.Go(func() { r.loop(ctx, opts.FollowUpInterval, r.followUps) })
	wg.Go(func() { r.loop(ctx, opts.SyncInterval, func(ctx context.Context) { r.syncAll(ctx, &wg) }) })
	<-ctx.Done()
	wg.Wait()
	return nil
}

type runner struct {
	e      *Engine
	opts   RunOptions
	leaser Leaser
	sem    chan struct{}

	mu       sync.Mutex
	running  map[string]bool
	watching map[string]context.CancelFunc
	failures map[string]int
}

func (r *runner) loop(ctx context.Context, every time.Duration, fn func(context.Context)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *runner) followUps(ctx context.Context) {
	tenants, err := r.e.store.ListTenants(ctx)
	if err != nil {
		return
	}
	for _, t := range tenants {
		if ok := r.lease(ctx, "followups/"+string(t.ID), r.opts.FollowUpInterval); !ok {
			continue
		}
		if _, err := r.e.RaiseDueFollowUps(ctx, t.ID); err != nil && ctx.Err() == nil {
			r.e.log.Warn("inbox: raise follow-ups", "tenant", string(t.ID), "err", err)
		}
	}
}

// syncAll starts a sync for every due integration, bounded by the
// connection limit; syncs run concurrently with the next tick's scan.
func (r *runner) syncAll(ctx context.Context, wg *sync.WaitGroup) {
	tenants, err := r.e.store.ListTenants(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.e.log.Error("inbox: scheduler: list tenants", "err", err)
		}
		return
	}
	now := r.e.clock.Now()
	for _, t := range tenants {
		var integs []Integration
		if err := r.e.store.View(ctx, t.ID, func(tx Tx) error {
			integs, err = tx.ListIntegrations()
			return err
		}); err != nil {
			continue
		}
		for _, in := range integs {
			if !r.due(in, now) {
				continue
			}
			key := string(t.ID) + "/" + in.ID
			r.mu.Lock()
			if r.running == nil {
				r.running = map[string]bool{}
			}
			busy := r.running[key]
			r.running[key] = true
			r.mu.Unlock()
			if busy {
				continue
			}
			wg.Go(func() {
				defer func() {
					r.mu.Lock()
					delete(r.running, key)
					r.mu.Unlock()
				}()
				r.syncOne(ctx, t.ID, in, wg)
			})
		}
	}
}

// due reports whether an integration should be synced now: enabled, its
// interval elapsed (stretched by exponential backoff after failures), and
// not paused by an authentication failure its settings have not fixed.
func (r *runner) due(in Integration, now time.Time) bool {
	if !in.Enabled || r.e.channels[in.Kind] == nil {
		return false
	}
	if in.Status == IntegrationAuthFailed && !in.UpdatedAt.After(in.LastSync.FinishedAt) {
		return false
	}
	r.mu.Lock()
	fails := r.failures[in.TenantID.key()+in.ID]
	r.mu.Unlock()
	wait := r.opts.SyncInterval
	for i := 0; i < fails && wait < time.Hour; i++ {
		wait *= 2
	}
	return in.LastSync.FinishedAt.IsZero() || now.Sub(in.LastSync.FinishedAt) >= wait-time.Second
}

func (id TenantID) key() string { return string(id) + "/" }

func (r *runner) syncOne(ctx context.Context, tenant TenantID, in Integration, wg *sync.WaitGroup) {
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-r.sem }()
	name := "sync/" + string(tenant) + "/" + in.ID
	if !r.lease(ctx, name, r.opts.SyncTimeout+time.Minute) {
		return
	}
	defer r.release(name)

	sctx, cancel := context.WithTimeout(ctx, r.opts.SyncTimeout)
	_, err := r.e.Sync(sctx, tenant, in.ID)
	cancel()
	r.mu.Lock()
	if r.failures == nil {
		r.failures = map[string]int{}
	}
	if err != nil && ctx.Err() == nil {
		r.failures[tenant.key()+in.ID]++
	} else {
		delete(r.failures, tenant.key()+in.ID)
	}
	r.mu.Unlock()
	if err != nil && ctx.Err() == nil && !errors.Is(err, ErrUnsupported) {
		r.e.log.Warn("inbox: scheduled sync failed", "tenant", string(tenant), "integration", in.ID, "err", err)
	}
	if r.opts.Watch && err == nil {
		r.watch(ctx, tenant, in, wg)
	}
}

// watch starts the integration's Watcher once; each signal triggers a sync.
func (r *runner) watch(ctx context.Context, tenant TenantID, in Integration, wg *sync.WaitGroup) {
	key := tenant.key() + in.ID
	r.mu.Lock()
	if _, ok := r.watching[key]; ok {
		r.mu.Unlock()
		return
	}
	wctx, cancel := context.WithCancel(ctx)
	r.watching[key] = cancel
	r.mu.Unlock()
	ch, err := r.e.OpenChannel(wctx, in)
	w, ok := ch.(Watcher)
	if err != nil || !ok {
		cancel()
		return
	}
	wg.Go(func() {
		defer func() {
			cancel()
			r.mu.Lock()
			delete(r.watching, key)
			r.mu.Unlock()
		}()
		kick := make(chan struct{}, 1)
		wg.Go(func() {
			for {
				select {
				case <-wctx.Done():
					return
				case <-kick:
					name := "sync/" + string(tenant) + "/" + in.ID
					if r.lease(wctx, name, r.opts.SyncTimeout+time.Minute) {
						sctx, c := context.WithTimeout(wctx, r.opts.SyncTimeout)
						if _, err := r.e.Sync(sctx, tenant, in.ID); err != nil && wctx.Err() == nil {
							r.e.log.Warn("inbox: sync after IDLE signal failed", "tenant", string(tenant), "integration", in.ID, "err", err)
						}
						c()
						r.release(name)
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

func (r *runner) lease(ctx context.Context, name string, ttl time.Duration) bool {
	if r.leaser == nil {
		return true
	}
	ok, err := r.leaser.AcquireLease(ctx, name, r.opts.Instance, ttl)
	if err != nil {
		if ctx.Err() == nil {
			r.e.log.Warn("inbox: acquire lease", "lease", name, "err", err)
		}
		return false
	}
	return ok
}

func (r *runner) release(name string) {
	if r.leaser == nil {
		return
	}
	if err := r.leaser.ReleaseLease(context.Background(), name, r.opts.Instance); err != nil {
		r.e.log.Warn("inbox: release lease", "lease", name, "err", err)
	}
}
