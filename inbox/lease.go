package inbox

import (
	"context"
	"time"
)

// Lease names used by Run. Hosts reading a store's leases (operators,
// tests) find the work an instance holds under these names.
func syncLeaseName(tenant TenantID, integrationID string) string {
	return "sync/" + string(tenant) + "/" + integrationID
}

func watchLeaseName(tenant TenantID, integrationID string) string {
	return "watch/" + string(tenant) + "/" + integrationID
}

func followUpLeaseName(tenant TenantID) string { return "followups/" + string(tenant) }

// lease takes a lease for this instance; without a Leaser every lease is
// granted.
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

// release gives a lease up, even after Run's context ended, so another
// instance may take the work at once instead of waiting for the expiry.
func (r *runner) release(name string) {
	if r.leaser == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.leaser.ReleaseLease(ctx, name, r.opts.Instance); err != nil {
		r.e.log.Warn("inbox: release lease", "lease", name, "err", err)
	}
}

// keep renews a held lease every third of its TTL while work runs under
// ctx. When the lease is lost (another instance holds it: this process
// stalled past the expiry) or cannot be renewed before it would expire,
// lost is called so the work stops rather than run alongside another
// instance's. The returned function stops renewing.
func (r *runner) keep(ctx context.Context, name string, lost context.CancelFunc) (stop func()) {
	if r.leaser == nil {
		return func() {}
	}
	ttl := r.opts.LeaseTTL
	every := ttl / 3
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		renewed := time.Now()
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			rctx, cancel := context.WithTimeout(ctx, every)
			ok, err := r.leaser.AcquireLease(rctx, name, r.opts.Instance, ttl)
			cancel()
			switch {
			case err == nil && ok:
				renewed = time.Now()
				continue
			case err == nil:
				r.e.log.Warn("inbox: lease taken by another instance, stopping", "lease", name)
			case time.Since(renewed)+every < ttl:
				if ctx.Err() == nil {
					r.e.log.Warn("inbox: renew lease", "lease", name, "err", err)
				}
				continue
			default:
				r.e.log.Warn("inbox: lease could not be renewed before it expires, stopping", "lease", name, "err", err)
			}
			r.e.metrics.add("leases_lost", 1)
			lost()
			return
		}
	}()
	return func() {
		close(quit)
		<-finished
	}
}
