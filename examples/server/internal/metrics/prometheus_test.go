package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/examples/server/internal/metrics"
)

// A name reported with other labels, or as another kind, is dropped
// rather than breaking the registry; the first shape keeps counting.
func TestPrometheusKeepsOneShapePerName(t *testing.T) {
	reg := prometheus.NewRegistry()
	p := metrics.New(reg, metrics.Options{})
	p.Add("sends_total", 1, "outcome", "sent")
	p.Add("sends_total", 1, "kind", "email")
	p.Set("sends_total", 5, "outcome", "sent")
	p.Add("sends_total", 2, "outcome", "sent")
	p.Add("sends_total", -1, "outcome", "sent")
	families, err := reg.Gather()
	require.NoError(t, err)
	require.Len(t, families, 1)
	require.Equal(t, "inboxkit_sends_total", families[0].GetName())
	require.Len(t, families[0].GetMetric(), 1)
	require.Equal(t, 3.0, families[0].GetMetric()[0].GetCounter().GetValue())
}

// The middleware labels requests by the route the caller names and the
// status written, and the event stream can still flush through it.
func TestHandlerLabelsByRoute(t *testing.T) {
	reg := prometheus.NewRegistry()
	p := metrics.New(reg, metrics.Options{})
	h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, ok := w.(http.Flusher)
		require.True(t, ok)
		w.WriteHeader(http.StatusTeapot)
	}), func(*http.Request) string { return "/inbox/conversations/{id}" })
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/inbox/conversations/01JABCDEF", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("BREW", "/inbox/conversations/01JABCDEG", nil))
	families, err := reg.Gather()
	require.NoError(t, err)
	require.Len(t, families, 1)
	var got []map[string]string
	for _, m := range families[0].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		got = append(got, labels)
	}
	require.ElementsMatch(t, []map[string]string{
		{"method": "GET", "route": "/inbox/conversations/{id}", "code": "418"},
		{"method": "other", "route": "/inbox/conversations/{id}", "code": "418"},
	}, got)
}
