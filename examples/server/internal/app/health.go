package app

import (
	"context"
	"net/http"
	"time"
)

// readyTimeout bounds the store check of /readyz: an orchestrator's probe
// should get an answer before its own timeout.
const readyTimeout = 2 * time.Second

// healthz answers 200 while the process serves HTTP at all: the liveness
// probe. It checks nothing else, so a database outage does not get every
// instance restarted.
func (a *App) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz answers 200 when this instance should get traffic: its store
// answers and it is not shutting down; 503 otherwise, with the reason in
// words (never the store's error, which may name hosts).
func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := a.Ready(r.Context()); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(err.Error() + "\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// notReady is why an instance should get no traffic.
type notReady string

func (e notReady) Error() string { return string(e) }

// Ready reports whether this instance should get traffic: not draining,
// and its store answers within readyTimeout.
func (a *App) Ready(ctx context.Context) error {
	if a.draining.Load() {
		return notReady("shutting down")
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if _, err := a.Store.ListTenants(ctx); err != nil {
		a.log.Warn("server: readiness: the database does not answer", "err", err)
		return notReady("the database does not answer")
	}
	return nil
}

// Drain marks the instance as shutting down: /readyz answers 503 and the
// live event streams end, so browsers reconnect to another instance.
// Requests in flight are not interrupted.
func (a *App) Drain() {
	a.draining.Store(true)
	if a.API != nil {
		a.API.EndStreams()
	}
}
