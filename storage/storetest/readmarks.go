package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// testReadMarks checks agents' own read state: a mark is one agent's
// (read or unread for them, whatever Unread says), ClearReadMarks and
// DeleteConversation drop every agent's marks, and ReaderUnreadCounts,
// UnreadOnly with a Reader and is:unread with a Reader all count the
// same set.
func testReadMarks(t *testing.T, newStore NewStoreFunc) {
	t.Run("OneAgentsMarkLeavesColleaguesUnread", func(t *testing.T) {
		h := setup(t, newStore)
		c := h.conversation(func(c *inbox.Conversation) { c.Unread = 1 })
		h.update(func(tx driver.Tx) { require.NoError(t, tx.SetReadMark(c.ID, "ada", false)) })
		h.view(func(tx driver.Tx) {
			marks, err := tx.ReadMarks("ada", []string{c.ID})
			require.NoError(t, err)
			require.Equal(t, map[string]bool{c.ID: false}, marks, "ada marked it read")
			marks, err = tx.ReadMarks("bob", []string{c.ID})
			require.NoError(t, err)
			require.Empty(t, marks, "bob has no mark")

			n, err := tx.ReaderUnreadCounts("ada")
			require.NoError(t, err)
			require.Empty(t, nonZero(n), "read for ada")
			n, err = tx.ReaderUnreadCounts("bob")
			require.NoError(t, err)
			require.Equal(t, map[string]int{"": 1}, nonZero(n), "still unread for bob")
			n, err = tx.UnreadCounts()
			require.NoError(t, err)
			require.Equal(t, map[string]int{"": 1}, nonZero(n), "the team's count is unchanged")

			require.Empty(t, ids(listAll(t, tx, inbox.ConversationQuery{UnreadOnly: true, Reader: "ada"})))
			require.Equal(t, []string{c.ID}, ids(listAll(t, tx, inbox.ConversationQuery{UnreadOnly: true, Reader: "bob"})))
			require.Equal(t, []string{c.ID}, ids(listAll(t, tx, inbox.ConversationQuery{UnreadOnly: true})))
			require.Empty(t, ids(listAll(t, tx, inbox.ConversationQuery{Search: "is:unread", Reader: "ada"})))
			require.Equal(t, []string{c.ID}, ids(listAll(t, tx, inbox.ConversationQuery{Search: "is:unread", Reader: "bob"})))
		})

		// ada marks it unread again; a read conversation marked unread
		// counts for her alone.
		read := h.conversation(func(c *inbox.Conversation) { c.LastMessageAt = t0.Add(time.Hour) })
		h.update(func(tx driver.Tx) {
			require.NoError(t, tx.SetReadMark(c.ID, "ada", true))
			require.NoError(t, tx.SetReadMark(read.ID, "ada", true))
		})
		h.view(func(tx driver.Tx) {
			n, err := tx.ReaderUnreadCounts("ada")
			require.NoError(t, err)
			require.Equal(t, map[string]int{"": 2}, nonZero(n))
			require.Equal(t, []string{read.ID, c.ID}, ids(listAll(t, tx, inbox.ConversationQuery{UnreadOnly: true, Reader: "ada"})))
			n, err = tx.ReaderUnreadCounts("bob")
			require.NoError(t, err)
			require.Equal(t, map[string]int{"": 1}, nonZero(n))
			page, err := tx.ListConversations(inbox.ConversationQuery{UnreadOnly: true, Reader: "ada", WithTotal: true})
			require.NoError(t, err)
			require.Equal(t, 2, page.Total)
		})

		// Clearing gives everyone the team's state back.
		h.update(func(tx driver.Tx) {
			require.NoError(t, tx.ClearReadMarks([]string{c.ID, read.ID, "no-such-conversation"}))
		})
		h.view(func(tx driver.Tx) {
			marks, err := tx.ReadMarks("ada", []string{c.ID, read.ID})
			require.NoError(t, err)
			require.Empty(t, marks)
			require.Equal(t, []string{c.ID}, ids(listAll(t, tx, inbox.ConversationQuery{UnreadOnly: true, Reader: "ada"})))
		})
	})

	t.Run("SpamAndArchivedAreNeverCounted", func(t *testing.T) {
		h := setup(t, newStore)
		spam := h.conversation(func(c *inbox.Conversation) { c.Status = inbox.StatusSpam })
		archived := h.conversation(func(c *inbox.Conversation) { c.Status = inbox.StatusArchived; c.Unread = 2 })
		h.update(func(tx driver.Tx) { require.NoError(t, tx.SetReadMark(spam.ID, "ada", true)) })
		h.view(func(tx driver.Tx) {
			for _, agent := range []string{"ada", "bob"} {
				n, err := tx.ReaderUnreadCounts(agent)
				require.NoError(t, err)
				require.Empty(t, nonZero(n), agent)
				require.Empty(t, ids(listAll(t, tx, inbox.ConversationQuery{UnreadOnly: true, Reader: agent})), agent)
			}
			marks, err := tx.ReadMarks("ada", []string{spam.ID, archived.ID})
			require.NoError(t, err)
			require.Equal(t, map[string]bool{spam.ID: true}, marks, "the mark is kept, only not counted")
		})
	})

	t.Run("DeletingAConversationDropsItsMarks", func(t *testing.T) {
		h := setup(t, newStore)
		c := h.conversation()
		h.update(func(tx driver.Tx) {
			require.NoError(t, tx.SetReadMark(c.ID, "ada", true))
			require.NoError(t, tx.DeleteConversation(c.ID))
		})
		h.view(func(tx driver.Tx) {
			marks, err := tx.ReadMarks("ada", []string{c.ID})
			require.NoError(t, err)
			require.Empty(t, marks)
			n, err := tx.ReaderUnreadCounts("ada")
			require.NoError(t, err)
			require.Empty(t, nonZero(n))
		})
	})

	t.Run("RefusesUnknownConversationsAndReadOnlyWrites", func(t *testing.T) {
		h := setup(t, newStore)
		c := h.conversation()
		h.update(func(tx driver.Tx) {
			require.ErrorIs(t, tx.SetReadMark("no-such-conversation", "ada", false), inbox.ErrNotFound)
			require.ErrorIs(t, tx.SetReadMark(c.ID, "", false), inbox.ErrInvalid)
			require.NoError(t, tx.SetReadMark(c.ID, "ada", true), "the transaction is still usable")
		})
		h.addTenant("tenant-b")
		h.updateIn("tenant-b", func(tx driver.Tx) {
			require.ErrorIs(t, tx.SetReadMark(c.ID, "ada", false), inbox.ErrNotFound, "another tenant's conversation")
			marks, err := tx.ReadMarks("ada", []string{c.ID})
			require.NoError(t, err)
			require.Empty(t, marks, "another tenant's marks are invisible")
		})
		err := h.store.View(h.ctx, h.tenant, func(tx driver.Tx) error {
			require.ErrorIs(t, tx.SetReadMark(c.ID, "ada", false), inbox.ErrUnsupported)
			require.ErrorIs(t, tx.ClearReadMarks([]string{c.ID}), inbox.ErrUnsupported)
			return nil
		})
		require.NoError(t, err)
	})

	t.Run("MatchesModelAfterRandomOperations", func(t *testing.T) {
		store := newStore(t)
		ctx := context.Background()
		agents := []string{"ada", "bob"}
		rapid.Check(t, func(rt *rapid.T) {
			tenant := inbox.TenantID("marks-" + inbox.NewID())
			require.NoError(rt, store.CreateTenant(ctx, &inbox.Tenant{ID: tenant}))
			convs := map[string]inbox.Conversation{}
			marks := map[string]map[string]bool{"ada": {}, "bob": {}}
			var folders []string
			update := func(fn func(tx driver.Tx) error) { require.NoError(rt, store.Update(ctx, tenant, fn)) }
			anyConv := func() inbox.Conversation {
				if len(convs) == 0 {
					rt.Skip("no conversation")
				}
				list := make([]string, 0, len(convs))
				for id := range convs {
					list = append(list, id)
				}
				sortStrings(list)
				return convs[rapid.SampledFrom(list).Draw(rt, "conversation")]
			}
			// unread is the model: inbox.ReadState outside spam and archived.
			unread := func(agent string) map[string]int {
				out := map[string]int{}
				for _, c := range convs {
					if c.Status != inbox.StatusSpam && c.Status != inbox.StatusArchived && inbox.ReadState(&c, marks[agent]) {
						out[c.FolderID]++
					}
				}
				return out
			}
			rt.Repeat(map[string]func(*rapid.T){
				"create folder": func(rt *rapid.T) {
					f := inbox.Folder{Name: "f"}
					update(func(tx driver.Tx) error { return tx.CreateFolder(&f) })
					folders = append(folders, f.ID)
				},
				"create conversation": func(rt *rapid.T) {
					c := newConversation(func(c *inbox.Conversation) {
						c.FolderID = rapid.SampledFrom(append([]string{""}, folders...)).Draw(rt, "folder")
						c.Status = rapid.SampledFrom(inbox.Statuses).Draw(rt, "status")
						c.Unread = rapid.IntRange(0, 2).Draw(rt, "unread")
						c.LastMessageAt = t0.Add(time.Duration(rapid.IntRange(0, 100).Draw(rt, "minute")) * time.Minute)
					})
					update(func(tx driver.Tx) error { return tx.CreateConversation(&c) })
					convs[c.ID] = c
				},
				"team read state": func(rt *rapid.T) {
					c := anyConv()
					c.Unread = rapid.IntRange(0, 2).Draw(rt, "unread")
					update(func(tx driver.Tx) error { return tx.UpdateConversation(&c) })
					convs[c.ID] = c
				},
				"set status": func(rt *rapid.T) {
					c := anyConv()
					c.Status = rapid.SampledFrom(inbox.Statuses).Draw(rt, "status")
					update(func(tx driver.Tx) error { return tx.UpdateConversation(&c) })
					convs[c.ID] = c
				},
				"move": func(rt *rapid.T) {
					c := anyConv()
					c.FolderID = rapid.SampledFrom(append([]string{""}, folders...)).Draw(rt, "folder")
					update(func(tx driver.Tx) error { return tx.UpdateConversation(&c) })
					convs[c.ID] = c
				},
				"delete folder": func(rt *rapid.T) {
					if len(folders) == 0 {
						rt.Skip("no folder")
					}
					i := rapid.IntRange(0, len(folders)-1).Draw(rt, "folder")
					update(func(tx driver.Tx) error { return tx.DeleteFolder(folders[i]) })
					for id, c := range convs {
						if c.FolderID == folders[i] {
							c.FolderID = "" // unfiled, with their marks
							c.Version++
							convs[id] = c
						}
					}
					folders = append(folders[:i], folders[i+1:]...)
				},
				"agent mark": func(rt *rapid.T) {
					c := anyConv()
					agent := rapid.SampledFrom(agents).Draw(rt, "agent")
					u := rapid.Bool().Draw(rt, "unread for the agent")
					update(func(tx driver.Tx) error { return tx.SetReadMark(c.ID, agent, u) })
					marks[agent][c.ID] = u
				},
				"clear marks": func(rt *rapid.T) {
					c := anyConv()
					update(func(tx driver.Tx) error { return tx.ClearReadMarks([]string{c.ID}) })
					for _, m := range marks {
						delete(m, c.ID)
					}
				},
				"delete conversation": func(rt *rapid.T) {
					c := anyConv()
					update(func(tx driver.Tx) error { return tx.DeleteConversation(c.ID) })
					delete(convs, c.ID)
					for _, m := range marks {
						delete(m, c.ID)
					}
				},
				"failed write leaves marks": func(rt *rapid.T) {
					c := anyConv()
					boom := errors.New("rolled back")
					err := store.Update(ctx, tenant, func(tx driver.Tx) error {
						require.NoError(rt, tx.SetReadMark(c.ID, "ada", !marks["ada"][c.ID]))
						require.NoError(rt, tx.ClearReadMarks([]string{c.ID}))
						return boom
					})
					require.ErrorIs(rt, err, boom)
				},
				"": func(rt *rapid.T) {
					require.NoError(rt, store.View(ctx, tenant, func(tx driver.Tx) error {
						all := make([]string, 0, len(convs))
						for id := range convs {
							all = append(all, id)
						}
						for _, agent := range agents {
							got, err := tx.ReadMarks(agent, all)
							require.NoError(rt, err)
							require.Equal(rt, len(marks[agent]), len(got), "ReadMarks of %s", agent)
							for id, u := range marks[agent] {
								require.Equal(rt, u, got[id], "mark of %s on %s", agent, id)
							}
							counts, err := tx.ReaderUnreadCounts(agent)
							require.NoError(rt, err)
							require.Equal(rt, nonZero(unread(agent)), nonZero(counts), "ReaderUnreadCounts of %s disagrees with the model", agent)
							listed := map[string]int{}
							for _, c := range listAll(rt, tx, inbox.ConversationQuery{UnreadOnly: true, Reader: agent, Limit: 7}) {
								listed[c.FolderID]++
							}
							require.Equal(rt, nonZero(counts), nonZero(listed), "the Unread filter of %s and its counters disagree", agent)
							searched := map[string]int{}
							for _, c := range listAll(rt, tx, inbox.ConversationQuery{Search: "is:unread", Reader: agent, Sort: inbox.SortQueue, Limit: 7}) {
								searched[c.FolderID]++
							}
							require.Equal(rt, nonZero(counts), nonZero(searched), "is:unread of %s and its counters disagree", agent)
						}
						return nil
					}))
				},
			})
		})
	})
}

// ids lists the conversations' ids in order.
func ids(cs []inbox.Conversation) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}
