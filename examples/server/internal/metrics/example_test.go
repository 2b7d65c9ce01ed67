package metrics_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/inboxkit/inboxkit/examples/server/internal/metrics"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// A host keeps its own registry: it hands the engine a Prometheus on it,
// and serves the registry wherever it serves its other metrics.
func Example() {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	store := memstore.New()
	_ = store.CreateTenant(ctx, &inbox.Tenant{ID: "acme", Name: "ACME"})
	eng, err := inbox.New(inbox.Options{Store: store, Metrics: metrics.New(reg, metrics.Options{})})
	if err != nil {
		panic(err)
	}
	defer eng.Close()

	mail := inbox.Inbound{Source: inbox.SourceEmail, IntegrationID: "mailbox", ProviderID: "1:1", MessageID: "q1@example.net",
		From: inbox.Party{Email: "camille@example.net"}, Subject: "Où est ma commande ?", Text: "Bonjour…"}
	if _, err := eng.Ingest(ctx, "acme", []inbox.Inbound{mail, mail}); err != nil {
		panic(err)
	}

	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for line := range strings.SplitSeq(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, "inboxkit_ingest_messages_total") {
			fmt.Println(line)
		}
	}
	// Output:
	// inboxkit_ingest_messages_total{status="duplicate"} 1
	// inboxkit_ingest_messages_total{status="stored"} 1
}
