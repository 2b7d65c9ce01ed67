package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// testListProperty checks ListConversations against the model on random
// inboxes (small value domains, so ties are common) and random queries,
// walking every page.
func testListProperty(t *testing.T, newStore NewStoreFunc) {
	store := newStore(t)
	ctx := context.Background()
	folders := []string{"", "folder-1", "folder-2"}
	assignees := []string{"", "emp-1", "emp-2"}
	contacts := []string{"contact-1", "contact-2"}
	subjects := []string{"Lampe", "Facture"}
	tags := []string{"vip", "late"}
	rapid.Check(t, func(rt *rapid.T) {
		tenant := inbox.TenantID("list-" + inbox.NewID())
		require.NoError(rt, store.CreateTenant(ctx, &inbox.Tenant{ID: tenant}))
		n := rapid.IntRange(0, 25).Draw(rt, "conversations")
		var all []inbox.Conversation
		require.NoError(rt, store.Update(ctx, tenant, func(tx driver.Tx) error {
			for range n {
				c := inbox.Conversation{
					Source:        rapid.SampledFrom([]inbox.Source{inbox.SourceEmail, inbox.SourceSMS}).Draw(rt, "source"),
					FolderID:      rapid.SampledFrom(folders).Draw(rt, "folder"),
					Status:        rapid.SampledFrom(inbox.Statuses).Draw(rt, "status"),
					Assignee:      rapid.SampledFrom(assignees).Draw(rt, "assignee"),
					ContactID:     rapid.SampledFrom(contacts).Draw(rt, "contact"),
					ThreadSubject: rapid.SampledFrom(subjects).Draw(rt, "subject"),
					Unread:        rapid.IntRange(0, 2).Draw(rt, "unread"),
					Tags:          rapid.SliceOfDistinct(rapid.SampledFrom(tags), rapid.ID[string]).Draw(rt, "tags"),
					LastMessageAt: at(time.Duration(rapid.IntRange(0, 3).Draw(rt, "hour")) * time.Hour),
					Priority:      rapid.SampledFrom(append([]inbox.Priority{""}, inbox.Priorities...)).Draw(rt, "priority"),
				}
				if rapid.IntRange(0, 4).Draw(rt, "snoozed") == 0 {
					c.SnoozedUntil = at(24 * time.Hour)
				}
				if err := tx.CreateConversation(&c); err != nil {
					return err
				}
				all = append(all, c)
			}
			return nil
		}))
		for range 3 {
			q := inbox.ConversationQuery{
				Sort:  rapid.SampledFrom(sorts).Draw(rt, "sort"),
				Limit: rapid.IntRange(1, 6).Draw(rt, "limit"),
			}
			if rapid.Bool().Draw(rt, "by folder") {
				q.FolderID = rapid.SampledFrom([]string{inbox.Unfiled, "folder-1", "folder-2"}).Draw(rt, "folder filter")
			}
			if rapid.Bool().Draw(rt, "by status") {
				q.Statuses = rapid.SliceOfNDistinct(rapid.SampledFrom(inbox.Statuses), 1, 3, rapid.ID[inbox.Status]).Draw(rt, "statuses")
			}
			if rapid.Bool().Draw(rt, "by assignee") {
				q.Assignee = rapid.SampledFrom([]string{inbox.Unassigned, "emp-1"}).Draw(rt, "assignee filter")
			}
			if rapid.Bool().Draw(rt, "by contact") {
				q.ContactID = rapid.SampledFrom(contacts).Draw(rt, "contact filter")
			}
			if rapid.Bool().Draw(rt, "by subject") {
				q.ThreadSubject = rapid.SampledFrom(subjects).Draw(rt, "subject filter")
			}
			if rapid.Bool().Draw(rt, "by tag") {
				q.Tag = rapid.SampledFrom(tags).Draw(rt, "tag filter")
			}
			q.UnreadOnly = rapid.Bool().Draw(rt, "unread only")
			q.OpenWork = rapid.Bool().Draw(rt, "open work")
			if rapid.Bool().Draw(rt, "since") {
				q.Since = at(time.Duration(rapid.IntRange(0, 3).Draw(rt, "since hour")) * time.Hour)
			}
			if rapid.Bool().Draw(rt, "until") {
				q.Until = at(time.Duration(rapid.IntRange(0, 4).Draw(rt, "until hour")) * time.Hour)
			}
			require.NoError(rt, store.View(ctx, tenant, func(tx driver.Tx) error {
				got := listAll(rt, tx, q)
				require.Equal(rt, modelList(all, q), conversationIDs(got), "query %+v", q)
				return nil
			}))
		}
	})
}
