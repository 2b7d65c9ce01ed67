package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// unreadModel is what UnreadCounts must agree with: the folder, status and
// unread count of every live conversation.
type unreadModel struct {
	folders []string
	convs   map[string]inbox.Conversation
}

func (m *unreadModel) counts() map[string]int {
	out := map[string]int{}
	for _, c := range m.convs {
		if c.Unread > 0 && c.Status != inbox.StatusSpam && c.Status != inbox.StatusArchived {
			out[c.FolderID]++
		}
	}
	return out
}

func testUnreadCounts(t *testing.T, newStore NewStoreFunc) {
	t.Run("MatchesRecountAfterRandomOperations", func(t *testing.T) {
		store := newStore(t)
		ctx := context.Background()
		rapid.Check(t, func(rt *rapid.T) {
			// A fresh tenant per run: isolation makes runs independent.
			tenant := inbox.TenantID("prop-" + inbox.NewID())
			require.NoError(rt, store.CreateTenant(ctx, &inbox.Tenant{ID: tenant}))
			m := &unreadModel{convs: map[string]inbox.Conversation{}}
			update := func(fn func(tx driver.Tx) error) {
				require.NoError(rt, store.Update(ctx, tenant, fn))
			}
			anyFolder := func() string {
				return rapid.SampledFrom(append([]string{""}, m.folders...)).Draw(rt, "folder")
			}
			anyConv := func() inbox.Conversation {
				ids := make([]string, 0, len(m.convs))
				for id := range m.convs {
					ids = append(ids, id)
				}
				sortStrings(ids)
				return m.convs[rapid.SampledFrom(ids).Draw(rt, "conversation")]
			}
			change := func(mutate func(c *inbox.Conversation)) {
				if len(m.convs) == 0 {
					rt.Skip("no conversation")
				}
				c := anyConv()
				mutate(&c)
				update(func(tx driver.Tx) error { return tx.UpdateConversation(&c) })
				m.convs[c.ID] = c
			}
			rt.Repeat(map[string]func(*rapid.T){
				"create folder": func(rt *rapid.T) {
					f := inbox.Folder{Name: "f"}
					update(func(tx driver.Tx) error { return tx.CreateFolder(&f) })
					m.folders = append(m.folders, f.ID)
				},
				"delete folder": func(rt *rapid.T) {
					if len(m.folders) == 0 {
						rt.Skip("no folder")
					}
					i := rapid.IntRange(0, len(m.folders)-1).Draw(rt, "folder index")
					id := m.folders[i]
					update(func(tx driver.Tx) error { return tx.DeleteFolder(id) })
					m.folders = append(m.folders[:i:i], m.folders[i+1:]...)
					for cid, c := range m.convs {
						if c.FolderID == id {
							c.FolderID = ""
							c.Version++
							m.convs[cid] = c
						}
					}
				},
				"create conversation": func(rt *rapid.T) {
					c := newConversation(func(c *inbox.Conversation) {
						c.FolderID = anyFolder()
						c.Status = rapid.SampledFrom(inbox.Statuses).Draw(rt, "status")
						c.Unread = rapid.IntRange(0, 3).Draw(rt, "unread")
					})
					update(func(tx driver.Tx) error { return tx.CreateConversation(&c) })
					m.convs[c.ID] = c
				},
				"mark read": func(rt *rapid.T) { change(func(c *inbox.Conversation) { c.Unread = 0 }) },
				"mark unread": func(rt *rapid.T) {
					n := rapid.IntRange(1, 3).Draw(rt, "unread")
					change(func(c *inbox.Conversation) { c.Unread = n })
				},
				"set status": func(rt *rapid.T) {
					s := rapid.SampledFrom(inbox.Statuses).Draw(rt, "status")
					change(func(c *inbox.Conversation) { c.Status = s })
				},
				"move": func(rt *rapid.T) {
					f := anyFolder()
					change(func(c *inbox.Conversation) { c.FolderID = f })
				},
				"delete conversation": func(rt *rapid.T) {
					if len(m.convs) == 0 {
						rt.Skip("no conversation")
					}
					c := anyConv()
					update(func(tx driver.Tx) error { return tx.DeleteConversation(c.ID) })
					delete(m.convs, c.ID)
				},
				"": func(rt *rapid.T) {
					require.NoError(rt, store.View(ctx, tenant, func(tx driver.Tx) error {
						counts, err := tx.UnreadCounts()
						require.NoError(rt, err)
						require.Equal(rt, nonZero(m.counts()), nonZero(counts), "UnreadCounts disagrees with the model")
						recount := &unreadModel{convs: map[string]inbox.Conversation{}}
						for _, c := range listAll(rt, tx, inbox.ConversationQuery{Limit: 500}) {
							recount.convs[c.ID] = c
						}
						require.Equal(rt, nonZero(recount.counts()), nonZero(counts), "UnreadCounts disagrees with ListConversations")
						// the Unread filter lists exactly what the counters count
						unread := map[string]int{}
						for _, c := range listAll(rt, tx, inbox.ConversationQuery{UnreadOnly: true, Limit: 500}) {
							unread[c.FolderID]++
						}
						require.Equal(rt, nonZero(counts), nonZero(unread), "the Unread filter and UnreadCounts disagree")
						return nil
					}))
				},
			})
		})
	})
}
