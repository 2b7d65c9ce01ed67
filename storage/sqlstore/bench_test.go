package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/bench"
	"github.com/inboxkit/inboxkit/storage/memstore"
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

// BenchmarkReadState compares one agent's read state with the team's on
// each store at 100,000 conversations, 10,000 of them unread for the team
// (a quarter archived, so not counted), of which the agent read 5,000, and
// 1,000 read ones the agent marked unread: the counters, the Unread
// filter's first page, and that page with its total.
func BenchmarkReadState(b *testing.B) {
	if testing.Short() {
		b.Skip("fills 100,000 conversations")
	}
	const n, agent = 100_000, "ada"
	stores := append(openers(), opener{"memstore", func(testing.TB) driver.Store { return memstore.New() }})
	for _, o := range stores {
		b.Run(o.name, func(b *testing.B) {
			s := o.open(b)
			ctx := context.Background()
			fillReadState(b, s, n, agent)
			for _, q := range []struct {
				name string
				run  func(tx driver.Tx) error
			}{
				{"counts/team", func(tx driver.Tx) error { _, err := tx.UnreadCounts(); return err }},
				{"counts/agent", func(tx driver.Tx) error { _, err := tx.ReaderUnreadCounts(agent); return err }},
				{"filter/team", list(inbox.ConversationQuery{UnreadOnly: true, Limit: 50})},
				{"filter/agent", list(inbox.ConversationQuery{UnreadOnly: true, Reader: agent, Limit: 50})},
				{"filter+total/team", list(inbox.ConversationQuery{UnreadOnly: true, Limit: 50, WithTotal: true})},
				{"filter+total/agent", list(inbox.ConversationQuery{UnreadOnly: true, Reader: agent, Limit: 50, WithTotal: true})},
			} {
				b.Run(q.name, func(b *testing.B) {
					for range b.N {
						if err := s.View(ctx, tenant, q.run); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// list lists one page of q, failing when it is empty.
func list(q inbox.ConversationQuery) func(tx driver.Tx) error {
	return func(tx driver.Tx) error {
		page, err := tx.ListConversations(q)
		if err == nil && len(page.Items) == 0 {
			err = fmt.Errorf("nothing listed for %+v", q)
		}
		return err
	}
}

// fillReadState stores n conversations in four folders, a quarter of them
// archived and every tenth unread for the team; agent read every other
// unread one and marked every hundredth read one unread.
func fillReadState(b testing.TB, s driver.Store, n int, agent string) {
	ctx := context.Background()
	require.NoError(b, s.CreateTenant(ctx, &inbox.Tenant{ID: tenant}))
	statuses := []inbox.Status{inbox.StatusResolved, inbox.StatusArchived, inbox.StatusOpen, inbox.StatusNew}
	folders := make([]string, 4)
	base := time.Now().Add(-time.Duration(n) * time.Minute)
	require.NoError(b, s.Update(ctx, tenant, func(tx driver.Tx) error {
		for i := range folders {
			f := inbox.Folder{Name: fmt.Sprintf("Folder %d", i)}
			if err := tx.CreateFolder(&f); err != nil {
				return err
			}
			folders[i] = f.ID
		}
		return nil
	}))
	for start := 0; start < n; start += 2000 {
		require.NoError(b, s.Update(ctx, tenant, func(tx driver.Tx) error {
			for i := start; i < start+2000; i++ {
				at := base.Add(time.Duration(i) * time.Minute)
				c := inbox.Conversation{Source: inbox.SourceEmail, Status: statuses[i/10%len(statuses)], FolderID: folders[i%len(folders)],
					Subject: fmt.Sprintf("Demande %06d", i), LastMessageAt: at, CreatedAt: at, UpdatedAt: at}
				if i%10 == 0 {
					c.Unread = 1
				}
				if err := tx.CreateConversation(&c); err != nil {
					return err
				}
				var err error
				switch {
				case i%20 == 0:
					err = tx.SetReadMark(c.ID, agent, false)
				case i%100 == 5:
					err = tx.SetReadMark(c.ID, agent, true)
				}
				if err != nil {
					return err
				}
			}
			return nil
		}))
	}
}
