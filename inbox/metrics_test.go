package inbox_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/inboxtest"
)

// recordingMetrics keeps what the engine reports.
type recordingMetrics struct {
	mu   sync.Mutex
	adds map[string]float64
	obs  map[string]int
	sets map[string]float64
}

func newRecordingMetrics() *recordingMetrics {
	return &recordingMetrics{adds: map[string]float64{}, obs: map[string]int{}, sets: map[string]float64{}}
}

func key(name string, labels []string) string { return name + "{" + strings.Join(labels, ",") + "}" }

func (m *recordingMetrics) Add(name string, n float64, labels ...string) {
	m.mu.Lock()
	m.adds[key(name, labels)] += n
	m.mu.Unlock()
}
func (m *recordingMetrics) Observe(name string, v float64, labels ...string) {
	m.mu.Lock()
	m.obs[key(name, labels)]++
	m.mu.Unlock()
}
func (m *recordingMetrics) Set(name string, v float64, labels ...string) {
	m.mu.Lock()
	m.sets[key(name, labels)] = v
	m.mu.Unlock()
}

func (m *recordingMetrics) get(f func(*recordingMetrics) bool) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return f(m)
}

func TestMetricsReachTheHostsRegistry(t *testing.T) {
	rec := newRecordingMetrics()
	clock := inboxtest.NewClock(time.Time{})
	e := newEnv(t, inbox.Options{Metrics: rec, Clock: clock})
	res := e.ingest(email("m1", "ada@example.com", "Commande", "Bonjour"), email("m1", "ada@example.com", "Commande", "Bonjour"))
	require.Equal(t, 1, res.Stored)
	require.True(t, rec.get(func(m *recordingMetrics) bool {
		return m.adds["ingest_messages_total{status,stored}"] == 1 && m.adds["ingest_messages_total{status,duplicate}"] == 1 &&
			m.obs["ingest_batch_seconds{}"] == 1
	}), "%+v", rec.adds)
	require.Equal(t, int64(1), e.engine.Counters()["ingested"])

	// Run reports the queues as gauges.
	e.run(inbox.RunOptions{})
	require.Eventually(t, func() bool {
		return rec.get(func(m *recordingMetrics) bool {
			_, ok := m.sets["outbox_pending{tenant,acme}"]
			_, work := m.sets["work_pending{tenant,acme}"]
			return ok && work
		})
	}, 10*time.Second, time.Millisecond)
}
