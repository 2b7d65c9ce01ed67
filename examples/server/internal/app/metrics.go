package app

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsPath is where Handler serves the Prometheus endpoint.
const metricsPath = "GET /metrics"

// MetricsHandler serves the Prometheus text format of Registry, behind
// Config.Metrics.Token when one is set.
func (a *App) MetricsHandler() http.Handler {
	h := promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{ErrorLog: nil})
	token := a.cfg.Metrics.Token
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need the token set with -metrics-token", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// route names a request's route for the HTTP latency series: the API's
// route pattern, "/metrics", a probe, or "ui" for the web interface's
// files; never a raw path.
func (a *App) route(r *http.Request) string {
	switch {
	case strings.HasPrefix(r.URL.Path, "/inbox/"):
		return a.API.Route(r)
	case r.URL.Path == "/metrics", r.URL.Path == "/healthz", r.URL.Path == "/readyz":
		return r.URL.Path
	}
	return "ui"
}
