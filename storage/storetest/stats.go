package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// testStats checks that inbox.Engine.Stats gives the same statistics
// through the store's driver.StatsTx as through the engine's generic scan,
// on a generated history that crosses both 2026 daylight-saving changes
// of Europe/Paris, with range ends inside hours, messages on local
// midnights and on the transition instants, moved messages and
// conversations, and a half-hour zone. Run runs it for stores that
// declare it (driver.Features.Stats); the others are served by the scan.
func testStats(t *testing.T, newStore NewStoreFunc) {
	h := setup(t, newStore)
	h.addTenant("tenant-b")
	seedStatsHistory(t, h)
	// Another tenant's messages must not be counted.
	other := h.conversationIn("tenant-b")
	h.updateIn("tenant-b", func(tx driver.Tx) {
		m := newMessage(other.ID, func(m *inbox.Message) { m.CreatedAt = time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC) })
		require.NoError(t, tx.InsertMessage(&m))
	})

	direct, err := inbox.New(inbox.Options{Store: h.store})
	require.NoError(t, err)
	t.Run("RefusedMessageNotCounted", func(t *testing.T) {
		h := setup(t, newStore)
		conv := h.conversation()
		h.update(func(tx driver.Tx) {
			m := newMessage(conv.ID, func(m *inbox.Message) {
				m.DedupeKeys, m.CreatedAt = []string{"k"}, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
			})
			require.NoError(t, tx.InsertMessage(&m))
			dup := newMessage(conv.ID, func(m *inbox.Message) {
				m.DedupeKeys, m.CreatedAt = []string{"k"}, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
			})
			require.ErrorIs(t, tx.InsertMessage(&dup), inbox.ErrConflict)
		})
		eng, err := inbox.New(inbox.Options{Store: h.store})
		require.NoError(t, err)
		st, err := eng.Stats(h.ctx, h.tenant, inbox.StatsQuery{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Granularity: inbox.ByMonth, TimeZone: "UTC"})
		require.NoError(t, err)
		require.Len(t, st.Volume, 1)
		require.Equal(t, "2026-05", st.Volume[0].Period)
		require.Equal(t, 1, st.Volume[0].Count)
	})
	scanned, err := inbox.New(inbox.Options{Store: withoutStatsTx{h.store}})
	require.NoError(t, err)

	paris := "Europe/Paris"
	ranges := []struct {
		name     string
		from, to time.Time
	}{
		{"spring change", time.Date(2026, 3, 20, 13, 17, 5, 0, time.UTC), time.Date(2026, 4, 8, 21, 45, 0, 0, time.UTC)},
		{"autumn change", time.Date(2026, 10, 18, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)},
		{"whole history", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"within one hour", time.Date(2026, 3, 29, 0, 59, 0, 0, time.UTC), time.Date(2026, 3, 29, 1, 1, 0, 0, time.UTC)},
		{"on local midnights", time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC), time.Date(2026, 3, 30, 22, 0, 0, 0, time.UTC)},
	}
	for _, zone := range []string{paris, "Asia/Kolkata", "UTC"} {
		for _, g := range []inbox.Granularity{inbox.ByDay, inbox.ByWeek, inbox.ByMonth} {
			for _, r := range ranges {
				t.Run(fmt.Sprintf("%s/%s/%s", zone, g, r.name), func(t *testing.T) {
					q := inbox.StatsQuery{From: r.from, To: r.to, TimeZone: zone, Granularity: g}
					want, err := scanned.Stats(h.ctx, h.tenant, q)
					require.NoError(t, err)
					got, err := direct.Stats(h.ctx, h.tenant, q)
					require.NoError(t, err)
					require.NotZero(t, want.Conversations+len(want.Volume), "the range holds data")
					require.Equal(t, want, got)
				})
			}
		}
	}
}

// withoutStatsTx hides the StatsTx capability of a store's transactions,
// so the engine falls back to its generic scan.
type withoutStatsTx struct{ driver.Store }

// plainTx is a Tx with only the Tx methods.
type plainTx struct{ driver.Tx }

func (s withoutStatsTx) View(ctx context.Context, tenant inbox.TenantID, fn func(driver.Tx) error) error {
	return s.Store.View(ctx, tenant, func(tx driver.Tx) error { return fn(plainTx{tx}) })
}

func (s withoutStatsTx) Update(ctx context.Context, tenant inbox.TenantID, fn func(driver.Tx) error) error {
	return s.Store.Update(ctx, tenant, func(tx driver.Tx) error { return fn(plainTx{tx}) })
}

// seedStatsHistory writes about 300 conversations and 1,500 messages over
// 2026, denser around the Paris daylight-saving changes (29 March and 25
// October, 01:00 UTC), with messages exactly on the changes and on local
// midnights.
func seedStatsHistory(t *testing.T, h *harness) {
	rng := rand.New(rand.NewPCG(7, 11))
	folders := []string{"", "sales", "support", "billing"}
	sources := []inbox.Source{inbox.SourceEmail, inbox.SourceSMS, inbox.SourceWhatsApp, inbox.SourceWebhook}
	statuses := []inbox.Status{inbox.StatusNew, inbox.StatusOpen, inbox.StatusUrgent, inbox.StatusResolved, inbox.StatusArchived, inbox.StatusSpam}
	bys := []string{"rules", "ai", "manual", ""}
	spring := time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)
	autumn := time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC)
	instant := func() time.Time {
		switch rng.IntN(4) {
		case 0:
			return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(int64(365 * 24 * time.Hour))))
		case 1:
			return spring.Add(time.Duration(rng.Int64N(int64(10*24*time.Hour))) - 5*24*time.Hour)
		case 2:
			return autumn.Add(time.Duration(rng.Int64N(int64(10*24*time.Hour))) - 5*24*time.Hour)
		}
		// on a transition, a local midnight, or a minute around them
		marks := []time.Time{spring, autumn, time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 22, 0, 0, 0, time.UTC),
			time.Date(2026, 10, 24, 22, 0, 0, 0, time.UTC), time.Date(2026, 10, 25, 23, 0, 0, 0, time.UTC), time.Date(2026, 3, 31, 22, 0, 0, 0, time.UTC),
			time.Date(2026, 3, 28, 18, 30, 0, 0, time.UTC)}
		return marks[rng.IntN(len(marks))].Add(time.Duration(rng.IntN(3)-1) * time.Minute * time.Duration(rng.IntN(2)))
	}
	var convIDs []string
	for i := range 300 {
		created := instant().Truncate(time.Microsecond)
		c := newConversation(func(c *inbox.Conversation) {
			c.CreatedAt = created
			c.Source = sources[rng.IntN(len(sources))]
			c.FolderID = folders[rng.IntN(len(folders))]
			c.Status = statuses[rng.IntN(len(statuses))]
			// per-agent and per-intent figures, first responses from the
			// customer's sent time
			c.Assignee = []string{"", "ana", "bob"}[i%3]
			c.Intent = []inbox.Intent{"", inbox.IntentQuestion, inbox.IntentInvoice, inbox.IntentComplaint}[i%4]
			if i%2 == 0 {
				c.FirstInboundAt = created.Add(-time.Duration(i%5) * time.Hour)
			}
			if rng.IntN(3) > 0 {
				c.FirstResponseAt = created.Add(time.Duration(rng.IntN(500)) * time.Minute)
			}
			if c.Status == inbox.StatusResolved || rng.IntN(5) == 0 {
				c.ResolvedAt = created.Add(time.Duration(rng.IntN(5000)) * time.Minute)
			}
			by := bys[rng.IntN(len(bys))]
			switch by {
			case "manual":
				c.Classification = inbox.Decision{By: inbox.DecidedByManual, FolderID: c.FolderID, AutoFolderID: folders[rng.IntN(len(folders))], AutoBy: "rules"}
			case "":
				c.Classification = inbox.Decision{Error: "no rule matched"}
			default:
				c.Classification = inbox.Decision{By: by, FolderID: folders[rng.IntN(len(folders))]}
			}
		})
		h.update(func(tx driver.Tx) { require.NoError(t, tx.CreateConversation(&c)) })
		convIDs = append(convIDs, c.ID)
		h.update(func(tx driver.Tx) {
			for j := range 1 + rng.IntN(9) {
				m := newMessage(c.ID, func(m *inbox.Message) {
					m.ID = fmt.Sprintf("m-%d-%d", i, j)
					m.MessageID = m.ID + "@example.test"
					m.DedupeKeys = nil
					m.ThreadKeys = nil
					m.Source = sources[rng.IntN(len(sources))]
					if rng.IntN(2) == 0 {
						m.Direction = inbox.DirectionOut
					}
					m.CreatedAt = instant().Truncate(time.Microsecond)
				})
				require.NoError(t, tx.InsertMessage(&m))
			}
		})
	}
	// Move some messages, delete and refile some conversations: volume
	// follows a message's current conversation and its folder now.
	h.update(func(tx driver.Tx) {
		for i := range 20 {
			require.NoError(t, tx.MoveMessage(fmt.Sprintf("m-%d-0", i), convIDs[len(convIDs)-1-i]))
		}
		for _, id := range convIDs[280:290] {
			require.NoError(t, tx.DeleteConversation(id))
		}
		for _, id := range convIDs[:40] {
			c, err := tx.GetConversation(id)
			require.NoError(t, err)
			c.FolderID = folders[rng.IntN(len(folders))]
			require.NoError(t, tx.UpdateConversation(&c))
		}
	})
	// Status, assignee and intent changes after creation: the figures
	// follow a conversation's state now.
	h.update(func(tx driver.Tx) {
		for i, id := range convIDs[40:80] {
			c, err := tx.GetConversation(id)
			require.NoError(t, err)
			c.Status = statuses[(slices.Index(statuses, c.Status)+1+i)%len(statuses)]
			c.Assignee = []string{"bob", "", "cyd"}[i%3]
			c.Intent = []inbox.Intent{inbox.IntentOrder, ""}[i%2]
			if c.Status == inbox.StatusResolved && c.ResolvedAt.IsZero() {
				c.ResolvedAt = c.CreatedAt.Add(time.Duration(i) * time.Hour)
			}
			require.NoError(t, tx.UpdateConversation(&c))
		}
	})
	// The same on messages inserted by the very transaction that moves,
	// refiles and deletes: a store may count new messages when the
	// transaction ends, and must agree with its triggers all the same.
	h.update(func(tx driver.Tx) {
		n := 0
		late := func(conv string) string {
			m := newMessage(conv, func(m *inbox.Message) {
				m.ID = fmt.Sprintf("late-%d", n)
				m.MessageID = m.ID + "@example.test"
				m.DedupeKeys = []string{"late-key-" + m.ID}
				m.ThreadKeys = nil
				m.Source = sources[n%len(sources)]
				m.CreatedAt = instant().Truncate(time.Microsecond)
			})
			n++
			require.NoError(t, tx.InsertMessage(&m))
			return m.ID
		}
		for _, id := range convIDs[100:110] {
			late(id)
			late(id)
		}
		c, err := tx.GetConversation(convIDs[101])
		require.NoError(t, err)
		c.FolderID = folders[(slices.Index(folders, c.FolderID)+1)%len(folders)]
		require.NoError(t, tx.UpdateConversation(&c))
		late(convIDs[103])
		require.NoError(t, tx.DeleteConversation(convIDs[103]))
		taken := late(convIDs[104])
		dup := newMessage(convIDs[104], func(m *inbox.Message) {
			m.ID, m.MessageID, m.DedupeKeys, m.ThreadKeys = "late-dup", "late-dup@example.test", []string{"late-key-" + taken}, nil
			m.CreatedAt = instant().Truncate(time.Microsecond)
		})
		require.ErrorIs(t, tx.InsertMessage(&dup), inbox.ErrConflict, "a refused message is not counted")
		moved := late(convIDs[105])
		require.NoError(t, tx.MoveMessage(moved, convIDs[111]))
		late(convIDs[106])
	})
}
