package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inboxkit/inboxkit/examples/server/internal/metrics"
)

// The engine reports on its intake path: one counter with a label per
// outcome, one histogram per batch.
func BenchmarkAdd(b *testing.B) {
	p := metrics.New(prometheus.NewRegistry(), metrics.Options{})
	b.ReportAllocs()
	for b.Loop() {
		p.Add("ingest_messages_total", 1, "status", "stored")
	}
}

func BenchmarkObserve(b *testing.B) {
	p := metrics.New(prometheus.NewRegistry(), metrics.Options{})
	b.ReportAllocs()
	for b.Loop() {
		p.Observe("ingest_batch_seconds", 0.012)
	}
}

// BenchmarkHandler is the middleware's cost per request: the route
// lookup is the caller's, here a constant.
func BenchmarkHandler(b *testing.B) {
	p := metrics.New(prometheus.NewRegistry(), metrics.Options{})
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", ok}, {"measured", p.Handler(ok, func(*http.Request) string { return "/inbox/conversations/{id}" })}} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/inbox/conversations/01JABCDEF", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(w, req)
			}
		})
	}
}
