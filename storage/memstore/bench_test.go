package memstore_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// body2K is a 2 KB mail body.
var body2K = strings.Repeat("Bonjour, ma commande n'est pas arrivée. Pouvez-vous vérifier le suivi ? ", 28)[:2048]

// benchCorpus returns n distinct 2 KB emails from 1,000 senders; every
// other one replies to the sender's previous mail, so ingest exercises
// thread-key lookups, subject fallback queries and contact reuse.
func benchCorpus(n int) []inbox.Inbound {
	const senders = 1000
	msgs := make([]inbox.Inbound, n)
	for i := range msgs {
		s := i % senders
		in := inbox.Inbound{
			IntegrationID: "int-mail", Source: inbox.SourceEmail,
			ProviderID: fmt.Sprintf("7/INBOX/%d", i),
			MessageID:  fmt.Sprintf("m%d@sender%d.example", i, s),
			From:       inbox.Party{Name: fmt.Sprintf("Sender %d", s), Email: fmt.Sprintf("sender%d@example.com", s)},
			To:         []inbox.Party{{Email: "support@shop.example"}},
			Subject:    fmt.Sprintf("Commande %d en retard", i/2),
			Text:       body2K,
			SentAt:     time.Unix(1_700_000_000+int64(i), 0),
		}
		if i >= senders && (i/senders)%2 == 1 {
			in.InReplyTo = fmt.Sprintf("m%d@sender%d.example", i-senders, s)
			in.References = []string{in.InReplyTo}
		}
		msgs[i] = in
	}
	return msgs
}

// BenchmarkIngest measures Engine.Ingest on memstore, per message, for
// sync-sized batches and single webhook messages.
func BenchmarkIngest(b *testing.B) {
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ctx := context.Background()
			store := memstore.New()
			if err := store.CreateTenant(ctx, &inbox.Tenant{ID: "bench"}); err != nil {
				b.Fatal(err)
			}
			eng, err := inbox.New(inbox.Options{Store: store})
			if err != nil {
				b.Fatal(err)
			}
			defer eng.Close()
			corpus := benchCorpus(b.N)
			b.SetBytes(int64(len(body2K)))
			b.ReportAllocs()
			runtime.GC()
			cpu0 := processCPU()
			b.ResetTimer()
			for start := 0; start < b.N; start += batch {
				res, err := eng.Ingest(ctx, "bench", corpus[start:min(start+batch, b.N)])
				if err != nil {
					b.Fatal(err)
				}
				if res.Duplicates+res.Quarantined > 0 {
					b.Fatalf("unexpected result %+v", res)
				}
			}
			b.StopTimer()
			reportThroughput(b, processCPU()-cpu0)
		})
	}
}

// BenchmarkLookupThreadKeys measures one LookupThreadKeys call of four
// keys (three known, one unknown) in stores holding 10k and 1M keys: the
// cost must not grow with the store.
func BenchmarkLookupThreadKeys(b *testing.B) {
	for _, keys := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			ctx := context.Background()
			store := memstore.New()
			if err := store.CreateTenant(ctx, &inbox.Tenant{ID: "bench"}); err != nil {
				b.Fatal(err)
			}
			const perMessage = 10
			messages := keys / perMessage
			for start := 0; start < messages; start += 10_000 {
				err := store.Update(ctx, "bench", func(tx driver.Tx) error {
					c := inbox.Conversation{Source: inbox.SourceEmail, Status: inbox.StatusNew}
					if err := tx.CreateConversation(&c); err != nil {
						return err
					}
					for i := start; i < min(start+10_000, messages); i++ {
						m := inbox.Message{ConversationID: c.ID, Source: inbox.SourceEmail, Direction: inbox.DirectionIn}
						for k := range perMessage {
							m.ThreadKeys = append(m.ThreadKeys, fmt.Sprintf("m:%d.%d@example.com", i, k))
						}
						if err := tx.InsertMessage(&m); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			lookups := make([][]string, 1024)
			for i := range lookups {
				n := (i * 7919) % messages
				lookups[i] = []string{
					fmt.Sprintf("m:%d.0@example.com", n), fmt.Sprintf("m:%d.5@example.com", (n+1)%messages),
					fmt.Sprintf("m:%d.9@example.com", (n+2)%messages), "m:unknown@example.com",
				}
			}
			// Settle the collector after loading, so the timed loop pays
			// only for its own garbage.
			runtime.GC()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			err := store.View(ctx, "bench", func(tx driver.Tx) error {
				for i := range b.N {
					known, err := tx.LookupThreadKeys(lookups[i%len(lookups)])
					if err != nil {
						return err
					}
					if len(known) != 3 {
						return fmt.Errorf("found %d keys, want 3", len(known))
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if cpu := processCPU() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// reportThroughput reports messages per wall-clock second and, since the
// machine may be shared, CPU nanoseconds per message and messages per CPU
// second of the whole process (collector included).
func reportThroughput(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/msg")
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "msgs/cpu-s")
	}
}

// BenchmarkListConversations measures the first page (50, newest first)
// of an inbox of 100k conversations, unfiltered and filtered by status.
func BenchmarkListConversations(b *testing.B) {
	ctx := context.Background()
	store := memstore.New()
	if err := store.CreateTenant(ctx, &inbox.Tenant{ID: "bench"}); err != nil {
		b.Fatal(err)
	}
	err := store.Update(ctx, "bench", func(tx driver.Tx) error {
		for i := range 100_000 {
			c := inbox.Conversation{
				Source: inbox.SourceEmail, Status: inbox.Statuses[i%len(inbox.Statuses)], Unread: i % 3,
				LastMessageAt: time.Unix(1_700_000_000+int64(i%50_000), 0),
			}
			if err := tx.CreateConversation(&c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	for name, q := range map[string]inbox.ConversationQuery{
		"all":         {},
		"open+unread": {Statuses: []inbox.Status{inbox.StatusOpen}, UnreadOnly: true},
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := processCPU()
			err := store.View(ctx, "bench", func(tx driver.Tx) error {
				for range b.N {
					page, err := tx.ListConversations(q)
					if err != nil {
						return err
					}
					if len(page.Items) != 50 {
						return fmt.Errorf("page of %d", len(page.Items))
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			if cpu := processCPU() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
