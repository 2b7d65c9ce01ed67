package metrics

import (
	"log/slog"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inboxkit/inboxkit/inbox"
)

// Namespace prefixes every series.
const Namespace = "inboxkit"

// Buckets are the histogram buckets, in seconds: from a fast webhook
// (5 ms) to a slow first mailbox sync (5 minutes).
var Buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// Options configure a Prometheus. The zero value is ready to use.
type Options struct {
	// Logger is told once per series that had to be dropped (a name
	// reused with other labels, a name Prometheus refuses). Nil:
	// discarded.
	Logger *slog.Logger
}

// Prometheus implements inbox.Metrics on a Prometheus registry. Series
// are created on first use with the label names of that first call; a
// later call with other label names is dropped and logged once, since a
// Prometheus metric has one fixed set of labels.
type Prometheus struct {
	reg prometheus.Registerer
	log *slog.Logger

	mu      sync.Mutex
	series  map[string]*series
	dropped map[string]bool
}

var _ inbox.Metrics = (*Prometheus)(nil)

// series is one metric family and its label names.
type series struct {
	labels    []string
	counter   *prometheus.CounterVec
	histogram *prometheus.HistogramVec
	gauge     *prometheus.GaugeVec
}

// New returns a Prometheus registering its series on reg (a host's own
// registry, or prometheus.DefaultRegisterer).
func New(reg prometheus.Registerer, opts Options) *Prometheus {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Prometheus{reg: reg, log: log, series: map[string]*series{}, dropped: map[string]bool{}}
}

// Add increases the counter name by n.
func (p *Prometheus) Add(name string, n float64, labels ...string) {
	if n < 0 {
		return // counters only go up
	}
	if s, values := p.get(kindCounter, name, labels); s != nil {
		s.counter.WithLabelValues(values...).Add(n)
	}
}

// Observe records value (seconds) in the histogram name.
func (p *Prometheus) Observe(name string, value float64, labels ...string) {
	if s, values := p.get(kindHistogram, name, labels); s != nil {
		s.histogram.WithLabelValues(values...).Observe(value)
	}
}

// Set sets the gauge name.
func (p *Prometheus) Set(name string, value float64, labels ...string) {
	if s, values := p.get(kindGauge, name, labels); s != nil {
		s.gauge.WithLabelValues(values...).Set(value)
	}
}

type kind int

const (
	kindCounter kind = iota
	kindHistogram
	kindGauge
)

// get returns the series of name, created on first use, and the label
// values of pairs in its label order; nil when the call cannot be
// recorded.
func (p *Prometheus) get(k kind, name string, pairs []string) (*series, []string) {
	names, values := split(pairs)
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.series[name]
	if !ok {
		var err error
		if s, err = p.create(k, name, names); err != nil {
			p.drop(name, "cannot register the series", err)
			return nil, nil
		}
		p.series[name] = s
	}
	if !slices.Equal(s.labels, names) || (k == kindCounter) != (s.counter != nil) ||
		(k == kindHistogram) != (s.histogram != nil) || (k == kindGauge) != (s.gauge != nil) {
		p.drop(name, "reported with other labels or as another kind of metric", nil)
		return nil, nil
	}
	return s, values
}

func (p *Prometheus) drop(name, why string, err error) {
	if p.dropped[name] {
		return
	}
	p.dropped[name] = true
	p.log.Warn("metrics: dropping a series", "name", name, "why", why, "err", err)
}

func (p *Prometheus) create(k kind, name string, labels []string) (*series, error) {
	s := &series{labels: labels}
	var c prometheus.Collector
	switch k {
	case kindCounter:
		s.counter = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help(name)}, labels)
		c = s.counter
	case kindHistogram:
		s.histogram = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help(name),
			Buckets: Buckets}, labels)
		c = s.histogram
	default:
		s.gauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help(name)}, labels)
		c = s.gauge
	}
	if err := p.reg.Register(c); err != nil {
		return nil, err
	}
	return s, nil
}

// split separates key, value pairs; a trailing key without a value is
// ignored.
func split(pairs []string) (names, values []string) {
	n := len(pairs) / 2
	names, values = make([]string, n), make([]string, n)
	for i := range n {
		names[i], values[i] = pairs[2*i], pairs[2*i+1]
	}
	return names, values
}

// help describes the series the engine, its adapters and the server
// report; others get a generic text.
func help(name string) string {
	if h, ok := helps[name]; ok {
		return h
	}
	return "inboxkit measurement " + name + "."
}

var helps = map[string]string{
	"ingest_messages_total":  "Inbound messages by outcome (stored, duplicate, quarantined, skipped).",
	"ingest_batch_seconds":   "Time to ingest one batch of inbound messages.",
	"syncs_total":            "Integration syncs (status all) and the failed ones (error, auth_failed).",
	"sync_seconds":           "Time of one integration sync, by kind.",
	"sync_lag_seconds":       "Time since an integration's last successful sync.",
	"sends_total":            "Outbound deliveries by outcome (sent, retry, failed).",
	"send_seconds":           "Time of one outbound delivery, by kind.",
	"auto_replies_total":     "Automatic replies sent or drafted.",
	"work_total":             "Background work items by kind and outcome.",
	"work_seconds":           "Time of one background work item, by kind.",
	"leases_lost_total":      "Sync or watch leases lost to another instance.",
	"outbox_pending":         "Outbound messages waiting for delivery.",
	"work_pending":           "Background work items waiting to run.",
	"work_failed":            "Background work items that failed for good.",
	"integrations":           "Integrations by health state (ok, degraded, failing, disabled).",
	"webhook_rejected_total": "Webhook requests refused, by channel and reason.",
	"ai_request_seconds":     "Time of one AI model call with its retries, by use.",
	"ai_errors_total":        "Failed AI model calls, by use and reason.",
	"http_request_seconds":   "Time to answer an HTTP request, by method, route pattern and status code.",
}
