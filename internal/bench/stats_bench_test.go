package bench_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// BenchmarkStats measures inbox.Engine.Stats over a whole generated
// history (every message in the range), Europe/Paris, by day, week and
// month, through the store's StatsTx. INBOXKIT_BENCH_STATS_MESSAGES sizes
// the history (default 100,000 messages, ten per conversation, 500 B–2 KB
// bodies); the target is 1,000,000 messages in under 500 ms. Building a
// million-message history takes minutes: pass -timeout 60m, and set
// INBOXKIT_BENCH_DIR to keep the SQLite file for later runs.
func BenchmarkStats(b *testing.B) {
	spec := historySpec{Messages: envInt("INBOXKIT_BENCH_STATS_MESSAGES", 100_000), MinBody: 500, MaxBody: 2000}
	spec.Conversations = spec.Messages / 10
	for _, store := range []struct {
		name string
		open func(b *testing.B) driver.Store
	}{
		{"sqlite", func(b *testing.B) driver.Store { s, _ := openBenchSQLite(b, spec); return s }},
		{"postgres", func(b *testing.B) driver.Store { s, _ := openBenchPostgres(b, spec); return s }},
	} {
		b.Run(store.name, func(b *testing.B) {
			s := store.open(b)
			eng, err := inbox.New(inbox.Options{Store: s})
			require.NoError(b, err)
			ctx := context.Background()
			q := inbox.StatsQuery{From: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), TimeZone: "Europe/Paris"}
			first, err := eng.Stats(ctx, benchTenant, q)
			require.NoError(b, err)
			total := 0
			for _, v := range first.Volume {
				total += v.Count
			}
			require.Equal(b, spec.Messages, total, "every message is in the range")
			for _, g := range []inbox.Granularity{inbox.ByDay, inbox.ByWeek, inbox.ByMonth} {
				b.Run(string(g), func(b *testing.B) {
					q.Granularity = g
					var lat latencies
					for b.Loop() {
						start := time.Now()
						if _, err := eng.Stats(ctx, benchTenant, q); err != nil {
							b.Fatal(err)
						}
						lat = append(lat, time.Since(start))
					}
					lat.report(b)
					b.ReportMetric(float64(spec.Messages), "messages")
				})
			}
		})
	}
}
