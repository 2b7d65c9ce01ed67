package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/pgtest"
)

// TestFrequentWordSearchFindsWhatCollectingFinds searches a word once as
// a rare one (its matches collected up front) and once as the statistics
// call it frequent (one query walking the conversations in the page's
// order): both find the same conversations in the same order, page after
// page, with and without a filter.
func TestFrequentWordSearchFindsWhatCollectingFinds(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.DSN(), Options{Schema: pgtest.FreshSchema(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.CreateTenant(ctx, &inbox.Tenant{ID: "acme", Name: "Acme"}))
	eng, err := inbox.New(inbox.Options{Store: s})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })

	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var batch []inbox.Inbound
	for c := range 24 {
		for i := range 3 {
			text := "Bonjour, une question sur la livraison"
			if c%3 == 0 && i == 1 || c%4 == 1 && i == 2 {
				text = "Bonjour, où en est ma Commande ?" // matched only by a later message
			}
			batch = append(batch, inbox.Inbound{Source: inbox.SourceSMS, IntegrationID: "sms", ProviderID: fmt.Sprintf("c%d-%d", c, i),
				From: inbox.Party{Phone: fmt.Sprintf("+3361234%04d", c)}, Text: text,
				SentAt: base.Add(time.Duration(c)*time.Minute + time.Duration(i*c%5)*time.Hour)})
		}
	}
	_, err = eng.IngestBatch(ctx, "acme", inbox.Batch{IntegrationID: "sms", Messages: batch})
	require.NoError(t, err)
	var wantCount int
	for c := range 24 {
		if c%3 == 0 || c%4 == 1 {
			wantCount++
		}
	}

	search := func(q inbox.ConversationQuery) []string {
		t.Helper()
		var ids []string
		for {
			var page inbox.ConversationPage
			require.NoError(t, s.View(ctx, "acme", func(tx driver.Tx) error {
				var err error
				page, err = tx.ListConversations(q)
				return err
			}))
			for _, c := range page.Items {
				ids = append(ids, c.ID)
			}
			if page.NextCursor == "" {
				return ids
			}
			q.Cursor = page.NextCursor
		}
	}
	frequent := func(yes bool) {
		s.lexemes.mu.Lock()
		defer s.lexemes.mu.Unlock()
		s.lexemes.loaded, s.lexemes.rows, s.lexemes.freq = time.Now(), 0, nil
		if yes {
			s.lexemes.rows, s.lexemes.freq = 1e6, map[string]float64{"commande": 0.5}
		}
	}
	for _, q := range []inbox.ConversationQuery{
		{Search: "commande", Limit: 5},
		{Search: "commande", Limit: 4, Sort: inbox.SortOldest},
		{Search: "commande", Limit: 3, Statuses: []inbox.Status{inbox.StatusNew}},
		{Search: "commande bonjour", Limit: 5},
		{Search: "commande from:+33612340003", Limit: 5},
	} {
		frequent(false)
		rare := search(q)
		frequent(true)
		walked := search(q)
		require.NotEmpty(t, rare, "%+v", q)
		require.Equal(t, rare, walked, "%+v: the walk finds what collecting finds, in the same order", q)
		if q.Search == "commande" && len(q.Statuses) == 0 {
			require.Len(t, walked, wantCount, "%+v", q)
		}
	}
}
