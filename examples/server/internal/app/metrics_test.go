package app_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/channel/webhook"
	"github.com/inboxkit/inboxkit/examples/server/internal/app"
	"github.com/inboxkit/inboxkit/inbox"
)

// scrape reads /metrics as Prometheus would.
func scrape(t *testing.T, url, token string) map[string]*dto.MetricFamily {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/metrics", nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	require.NoError(t, err)
	return families
}

// sample is the value of the series of family name whose labels include
// want (a counter's or gauge's value, a histogram's count); ok is false
// when there is none.
func sample(families map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := families[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			match = match && labels[k] == v
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// TestMetricsScrape drives real traffic through the server — a signed
// webhook, a forged one, API calls — and reads the effect on /metrics as
// Prometheus would: ingest counts and latency, refused webhooks by
// reason, HTTP latency by route pattern (no ids in labels), queue depths
// and sync lag per integration.
func TestMetricsScrape(t *testing.T) {
	a, ts := newServer(t)
	c := admin(t, ts.URL)
	before := scrape(t, ts.URL, "")
	stored0, _ := sample(before, "inboxkit_ingest_messages_total", map[string]string{"status": "stored"})
	batches0, _ := sample(before, "inboxkit_ingest_batch_seconds", nil)

	hook := a.Demo.Integrations[inbox.SourceWebhook]
	secret, err := webhook.ParseSecret(a.DemoWebhookSecret)
	require.NoError(t, err)
	post := func(id string, forge bool) int {
		body := []byte(`{"external_id":"` + id + `","channel":"form","from":{"name":"Zoé","email":"zoe@courriel.example"},"text":"Bonjour, êtes-vous ouverts ?"}`)
		req, err := http.NewRequest(http.MethodPost, ts.URL+"/inbox/webhooks/custom/"+hook, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		webhook.SignHeaders(req.Header, "msg_"+id, time.Now(), body, secret)
		if forge {
			req.Header.Set("webhook-signature", "v1,"+strings.Repeat("A", 43)+"=")
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	require.Equal(t, http.StatusOK, post("metrics-1", false))
	require.Equal(t, http.StatusUnauthorized, post("metrics-2", true))
	var l listJSON
	c.json(http.MethodGet, "/inbox/conversations?q=ouverts", nil, http.StatusOK, &l)
	require.Len(t, l.Items, 1)
	c.json(http.MethodGet, "/inbox/conversations/"+l.Items[0].ID, nil, http.StatusOK, nil)

	after := scrape(t, ts.URL, "")
	stored, ok := sample(after, "inboxkit_ingest_messages_total", map[string]string{"status": "stored"})
	require.True(t, ok)
	require.Equal(t, stored0+1, stored, "the signed webhook stored one message")
	batches, _ := sample(after, "inboxkit_ingest_batch_seconds", nil)
	require.Equal(t, batches0+1, batches, "its ingest latency was observed")

	rejected, ok := sample(after, "inboxkit_webhook_rejected_total", map[string]string{"channel": "webhook", "reason": "bad_signature"})
	require.True(t, ok, "the forged webhook is counted by reason")
	require.Equal(t, 1.0, rejected)

	n, ok := sample(after, "inboxkit_http_request_seconds", map[string]string{"method": "POST", "route": "/inbox/webhooks/custom/{id}", "code": "200"})
	require.True(t, ok)
	require.Equal(t, 1.0, n)
	n, _ = sample(after, "inboxkit_http_request_seconds", map[string]string{"method": "POST", "route": "/inbox/webhooks/custom/{id}", "code": "401"})
	require.Equal(t, 1.0, n)
	n, _ = sample(after, "inboxkit_http_request_seconds", map[string]string{"method": "GET", "route": "/inbox/conversations/{id}", "code": "200"})
	require.Equal(t, 1.0, n)
	for _, m := range after["inboxkit_http_request_seconds"].GetMetric() {
		for _, l := range m.GetLabel() {
			require.NotContains(t, l.GetValue(), hook, "no ids in route labels")
			require.Empty(t, pathID(l.GetValue()), "no ids in route labels")
		}
	}

	// The gauges Run refreshes (at its start, then every 15 s): queue
	// depths per tenant, sync lag per integration.
	require.Eventually(t, func() bool {
		after = scrape(t, ts.URL, "")
		_, ok := sample(after, "inboxkit_sync_lag_seconds", nil)
		return ok
	}, 10*time.Second, 50*time.Millisecond)
	_, ok = sample(after, "inboxkit_outbox_pending", map[string]string{"tenant": "maison-lumiere"})
	require.True(t, ok, "outbox depth")
	_, ok = sample(after, "inboxkit_work_pending", map[string]string{"tenant": "maison-lumiere"})
	require.True(t, ok, "work-queue depth")
	_, ok = sample(after, "inboxkit_sync_lag_seconds", map[string]string{"integration": a.Demo.Integrations[inbox.SourceEmail]})
	require.True(t, ok, "sync lag of the demo mailbox")
	n, ok = sample(after, "inboxkit_integrations", map[string]string{"tenant": "maison-lumiere", "state": "ok"})
	require.True(t, ok, "integrations by health")
	require.Equal(t, float64(len(a.Demo.Integrations)), n)
	n, _ = sample(after, "inboxkit_integrations", map[string]string{"tenant": "maison-lumiere", "state": "failing"})
	require.Zero(t, n)
	require.NotNil(t, after["go_goroutines"], "the Go runtime's series")
}

// pathID is "" for a label value that holds no path segment looking like
// a generated id; such a segment otherwise.
func pathID(v string) string {
	for _, seg := range strings.Split(v, "/") {
		if len(seg) >= 20 && !strings.ContainsAny(seg, "{}") {
			return seg
		}
	}
	return ""
}

// TestMetricsToken: with a token, /metrics answers 401 without it.
func TestMetricsToken(t *testing.T) {
	_, ts := newServerWith(t, func(c *app.Config) { c.Metrics.Token = "scrape-token" })
	res, err := http.Get(ts.URL + "/metrics")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusUnauthorized, res.StatusCode)
	require.NotNil(t, scrape(t, ts.URL, "scrape-token")["inboxkit_http_request_seconds"])

	_, ts = newServerWith(t, func(c *app.Config) { c.Metrics.Separate = true })
	res, err = http.Get(ts.URL + "/metrics")
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	require.NotContains(t, string(body), "inboxkit_", "served on its own listener only")
}
