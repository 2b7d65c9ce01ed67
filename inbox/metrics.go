package inbox

import (
	"context"
	"errors"
	"maps"
	"sync"
	"time"
)

// Metrics receives the engine's measurements, for a host to export with
// its own library (Prometheus, OpenTelemetry, expvar). Names are
// snake_case; counters end in _total and durations are seconds. Labels
// come in key, value pairs. Implementations must be safe for concurrent
// use and cheap: they are called on the intake path.
//
// Counters: ingest_messages_total{status} (stored, duplicate,
// quarantined, skipped), syncs_total{status} (ok, error, auth_failed),
// sends_total{outcome} (sent, retry, failed), auto_replies_total{outcome}
// (sent, draft), work_total{kind,outcome} (done, retry, failed),
// leases_lost_total.
// Durations: ingest_batch_seconds, sync_seconds{kind}, send_seconds{kind},
// work_seconds{kind} (a model call is most of the classify and autoreply
// work).
// Gauges, refreshed by Run: sync_lag_seconds{tenant,integration} (since
// the last successful sync), outbox_pending{tenant}, work_pending{tenant},
// work_failed{tenant}, integrations{tenant,state} (by HealthState).
//
// Adapters report through Engine.Metrics: the webhook receivers count
// webhook_rejected_total{channel,reason} (bad_signature, stale, replay,
// unknown_integration...), the AI classifier and responder
// ai_request_seconds{use} and ai_errors_total{use,reason} (ErrorReason).
type Metrics interface {
	Add(name string, n float64, labels ...string)
	Observe(name string, value float64, labels ...string)
	Set(name string, value float64, labels ...string)
}

// NopMetrics discards measurements.
type NopMetrics struct{}

func (NopMetrics) Add(string, float64, ...string)     {}
func (NopMetrics) Observe(string, float64, ...string) {}
func (NopMetrics) Set(string, float64, ...string)     {}

// metrics is the engine's side: its own running totals (Counters) and
// the host's Metrics.
type metrics struct {
	host Metrics

	mu     sync.Mutex
	totals map[string]int64
}

func newMetrics(host Metrics) *metrics {
	if host == nil {
		host = NopMetrics{}
	}
	return &metrics{host: host, totals: map[string]int64{}}
}

// add counts n events of a counter named by its key in Counters
// ("ingested") and reported to the host as name with labels.
func (m *metrics) add(key string, n int) {
	if n == 0 {
		return
	}
	m.mu.Lock()
	m.totals[key] += int64(n)
	m.mu.Unlock()
	if name, labels, ok := hostCounter(key); ok {
		m.host.Add(name, float64(n), labels...)
	}
}

// observe reports a duration.
func (m *metrics) observe(name string, d time.Duration, labels ...string) {
	m.host.Observe(name, d.Seconds(), labels...)
}

// set reports a gauge.
func (m *metrics) set(name string, v float64, labels ...string) { m.host.Set(name, v, labels...) }

// hostCounter maps the engine's counter keys to exported names.
func hostCounter(key string) (string, []string, bool) {
	switch key {
	case "ingested":
		return "ingest_messages_total", []string{"status", "stored"}, true
	case "duplicates":
		return "ingest_messages_total", []string{"status", "duplicate"}, true
	case "quarantined":
		return "ingest_messages_total", []string{"status", "quarantined"}, true
	case "skipped":
		return "ingest_messages_total", []string{"status", "skipped"}, true
	case "syncs":
		return "syncs_total", []string{"status", "all"}, true
	case "sync_errors":
		return "syncs_total", []string{"status", "error"}, true
	case "auth_failures":
		return "syncs_total", []string{"status", "auth_failed"}, true
	case "sent":
		return "sends_total", []string{"outcome", "sent"}, true
	case "send_retries":
		return "sends_total", []string{"outcome", "retry"}, true
	case "send_failures":
		return "sends_total", []string{"outcome", "failed"}, true
	case "auto_replies":
		return "auto_replies_total", []string{"outcome", "sent"}, true
	case "drafts":
		return "auto_replies_total", []string{"outcome", "draft"}, true
	case "leases_lost":
		return "leases_lost_total", nil, true
	}
	return "", nil, false
}

// Metrics returns the host's Metrics (NopMetrics when none was given),
// for adapters built on the engine to report their own measurements.
func (e *Engine) Metrics() Metrics { return e.metrics.host }

// ErrorReason names an error's kind for a metric label, from the inbox
// sentinels: timeout, canceled, unauthorized, temporary, invalid,
// not_found, unsupported, conflict, or other.
func ErrorReason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, ErrUnauthorized):
		return "unauthorized"
	case errors.Is(err, ErrTemporary):
		return "temporary"
	case errors.Is(err, ErrInvalid):
		return "invalid"
	case errors.Is(err, ErrNotFound):
		return "not_found"
	case errors.Is(err, ErrUnsupported):
		return "unsupported"
	case errors.Is(err, ErrConflict):
		return "conflict"
	}
	return "other"
}

// Counters returns the engine's running totals since New: messages
// ingested, duplicates, quarantined, skipped, syncs and their errors,
// sends, retries and failures, auto-replies and drafts, background work
// done and failed. Options.Metrics gets the same events as they happen.
func (e *Engine) Counters() map[string]int64 {
	e.metrics.mu.Lock()
	defer e.metrics.mu.Unlock()
	return maps.Clone(e.metrics.totals)
}
