package sqlstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// TestStatsAgreeAcrossStores writes the same conversations to the memory
// store, SQLite and PostgreSQL and checks that inbox.Engine.Stats gives
// identical statistics by day, week and month in Europe/Paris over ranges
// crossing both 2026 daylight-saving changes: the SQL stores read the
// conversation_day roll-up, whose durations their triggers compute from
// document times, here with nanosecond fractions and offsets other than
// UTC, and the memory store the conversations themselves. The
// conversations change after creation (resolved, reassigned, refiled,
// deleted), as the roll-up must follow.
func TestStatsAgreeAcrossStores(t *testing.T) {
	ctx := context.Background()
	stores := map[string]driver.Store{"memory": memstore.New()}
	for _, o := range openers() {
		stores[o.name] = o.open(t)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	offset := time.FixedZone("", -(3*3600 + 30*60))
	for _, s := range stores {
		require.NoError(t, s.CreateTenant(ctx, &inbox.Tenant{ID: tenant, Name: "Acme", Settings: inbox.TenantSettings{TimeZone: "Europe/Paris"}}))
	}
	rng := rand.New(rand.NewPCG(3, 5))
	spring := time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)
	autumn := time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC)
	var convs []inbox.Conversation
	for i := range 400 {
		base := spring
		if i%2 == 1 {
			base = autumn
		}
		// Stores keep creation times to the microsecond (as storetest).
		created := base.Add(time.Duration(rng.Int64N(int64(60*24*time.Hour))) - 30*24*time.Hour).Truncate(time.Microsecond)
		c := inbox.Conversation{
			ID: fmt.Sprintf("c-%03d", i), Subject: "s", CreatedAt: created,
			Source:   []inbox.Source{inbox.SourceEmail, inbox.SourceSMS}[i%2],
			FolderID: []string{"", "sales", "support"}[i%3],
			Status:   []inbox.Status{inbox.StatusOpen, inbox.StatusResolved, inbox.StatusNew, inbox.StatusArchived}[i%4],
			Assignee: []string{"", "ana", "bob"}[i%3],
			Intent:   []inbox.Intent{"", inbox.IntentQuestion}[i%2],
		}
		// Times as they reach documents: nanoseconds, local offsets.
		if i%3 != 0 {
			c.FirstResponseAt = created.Add(time.Duration(rng.Int64N(int64(48 * time.Hour)))).In([]*time.Location{time.UTC, paris, offset}[i%3])
		}
		if i%4 != 0 {
			c.FirstInboundAt = created.Add(-time.Duration(rng.Int64N(int64(3 * time.Hour)))).In(paris)
		}
		if c.Status == inbox.StatusResolved || i%5 == 0 {
			c.ResolvedAt = created.Add(time.Duration(rng.Int64N(int64(96*time.Hour))) - time.Hour).In(offset)
		}
		switch i % 4 {
		case 0:
			c.Classification = inbox.Decision{By: "rules", FolderID: []string{"sales", "support"}[i%2]}
		case 1:
			c.Classification = inbox.Decision{By: inbox.DecidedByManual, FolderID: c.FolderID, AutoFolderID: "sales", AutoBy: "ai"}
		case 2:
			c.Classification = inbox.Decision{Error: "no rule matched"}
		}
		convs = append(convs, c)
	}
	for name, s := range stores {
		require.NoError(t, s.Update(ctx, tenant, func(tx driver.Tx) error {
			for _, c := range convs {
				c := c
				if err := tx.CreateConversation(&c); err != nil {
					return err
				}
			}
			return nil
		}), name)
		// Later changes: resolutions, reassignments, refiling, deletions.
		require.NoError(t, s.Update(ctx, tenant, func(tx driver.Tx) error {
			for i, id := range []string{"c-001", "c-010", "c-011", "c-100", "c-203", "c-250", "c-399"} {
				c, err := tx.GetConversation(id)
				if err != nil {
					return err
				}
				c.Status, c.ResolvedAt, c.Assignee = inbox.StatusResolved, c.CreatedAt.Add(time.Duration(i+1)*time.Hour+7), "cyd"
				c.FolderID = "support"
				if err := tx.UpdateConversation(&c); err != nil {
					return err
				}
			}
			for _, id := range []string{"c-002", "c-003", "c-300"} {
				if err := tx.DeleteConversation(id); err != nil {
					return err
				}
			}
			return nil
		}), name)
	}
	ranges := []struct {
		name     string
		from, to time.Time
	}{
		{"spring", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC)},
		{"autumn, inside days", time.Date(2026, 9, 26, 13, 5, 0, 0, time.UTC), time.Date(2026, 11, 24, 7, 45, 0, 0, time.UTC)},
		{"whole year", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, g := range []inbox.Granularity{inbox.ByWeek, inbox.ByMonth, inbox.ByDay} {
		for _, r := range ranges {
			t.Run(fmt.Sprintf("%s/%s", g, r.name), func(t *testing.T) {
				q := inbox.StatsQuery{From: r.from, To: r.to, Granularity: g, TimeZone: "Europe/Paris"}
				var want inbox.Stats
				for _, name := range []string{"memory", "sqlite", "postgres"} {
					eng, err := inbox.New(inbox.Options{Store: stores[name]})
					require.NoError(t, err)
					got, err := eng.Stats(ctx, tenant, q)
					require.NoError(t, err, name)
					if name == "memory" {
						require.NotZero(t, got.Conversations)
						require.NotZero(t, got.FirstResponse.Count)
						want = got
						continue
					}
					require.Equal(t, want, got, name)
				}
			})
		}
	}
}
