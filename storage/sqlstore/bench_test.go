package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/bench"
)

// BenchmarkIngest measures durable batched ingest through the engine
// (dedupe, threading, contacts, full-text indexing; one transaction per
// batch of 100) of 2–10 KB mail. Figures are messages per second.
func BenchmarkIngest(b *testing.B) {
	for _, o := range openers() {
		b.Run(o.name, func(b *testing.B) {
			s := o.open(b)
			ctx := context.Background()
			require.NoError(b, s.CreateTenant(ctx, &inbox.Tenant{ID: tenant}))
			eng, err := inbox.New(inbox.Options{Store: s})
			require.NoError(b, err)
			defer eng.Close()
			gen := bench.New(bench.Options{Messages: b.N * 100, Seed: 1})
			b.ResetTimer()
			for range b.N {
				msgs := gen.Next(100)
				if _, err := eng.IngestBatch(ctx, tenant, inbox.Batch{Messages: msgs}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "msg/s")
		})
	}
}

// BenchmarkSearch measures newest-first top-20 searches over 5,000
// messages for a rare and a frequent word.
func BenchmarkSearch(b *testing.B) {
	for _, o := range openers() {
		b.Run(o.name, func(b *testing.B) {
			s := o.open(b)
			ctx := context.Background()
			require.NoError(b, s.CreateTenant(ctx, &inbox.Tenant{ID: tenant}))
			eng, err := inbox.New(inbox.Options{Store: s})
			require.NoError(b, err)
			defer eng.Close()
			gen := bench.New(bench.Options{Messages: 5000, Seed: 1})
			for !gen.Done() {
				_, err := eng.IngestBatch(ctx, tenant, inbox.Batch{Messages: gen.Next(250)})
				require.NoError(b, err)
			}
			for _, q := range []struct{ name, word string }{{"rare", gen.RareWords()[0]}, {"frequent", gen.FrequentWords()[0]}} {
				b.Run(q.name, func(b *testing.B) {
					for range b.N {
						err := s.View(ctx, tenant, func(tx driver.Tx) error {
							page, err := tx.ListConversations(inbox.ConversationQuery{Search: q.word, Limit: 20})
							if err == nil && len(page.Items) == 0 {
								err = fmt.Errorf("no match for %q", q.word)
							}
							return err
						})
						if err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
