package storetest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

func testPagination(t *testing.T, newStore NewStoreFunc) {
	t.Run("WalkEveryPage", func(t *testing.T) {
		h := setup(t, newStore)
		all := variedConversations(t, h, 47)
		for _, s := range sorts {
			for _, q := range []inbox.ConversationQuery{{}, {UnreadOnly: true}, {Tag: "vip", Sources: []inbox.Source{inbox.SourceEmail, inbox.SourceSMS}}} {
				q.Sort = s
				want := modelList(all, q)
				for _, limit := range []int{1, 3, 7, len(want), len(want) + 1} {
					q.Limit = limit
					var got []string
					h.view(func(tx driver.Tx) {
						for pages := 0; ; pages++ {
							require.Less(t, pages, len(want)+2, "pagination does not end")
							page, err := tx.ListConversations(q)
							require.NoError(t, err)
							require.LessOrEqual(t, len(page.Items), limit)
							got = append(got, conversationIDs(page.Items)...)
							if page.NextCursor == "" {
								break
							}
							require.Len(t, page.Items, limit, "only the last page may be short")
							q.Cursor = page.NextCursor
						}
					})
					q.Cursor = ""
					require.Equal(t, want, got, "sort %q, limit %d, %+v", s, limit, q)
				}
			}
		}
	})
	t.Run("LastPageHasNoCursor", func(t *testing.T) {
		h := setup(t, newStore)
		for range 10 {
			h.conversation()
		}
		h.view(func(tx driver.Tx) {
			page, err := tx.ListConversations(inbox.ConversationQuery{Limit: 5})
			require.NoError(t, err)
			require.NotEmpty(t, page.NextCursor)
			page, err = tx.ListConversations(inbox.ConversationQuery{Limit: 5, Cursor: page.NextCursor})
			require.NoError(t, err)
			require.Len(t, page.Items, 5)
			require.Empty(t, page.NextCursor, "no conversation follows")
		})
	})
	t.Run("StableUnderConcurrentChanges", func(t *testing.T) {
		for _, s := range sorts {
			t.Run(string(cmpName(s)), func(t *testing.T) {
				h := setup(t, newStore)
				rng := rand.New(rand.NewPCG(1, uint64(len(s))))
				orig := variedConversations(t, h, 40)
				present := map[string]bool{}
				for _, c := range orig {
					present[c.ID] = true
				}
				compare := modelCompare(s)
				var got []inbox.Conversation
				q := inbox.ConversationQuery{Sort: s, Limit: 4}
				for pages := 0; ; pages++ {
					require.Less(t, pages, 100, "pagination does not end")
					var page inbox.ConversationPage
					h.view(func(tx driver.Tx) {
						var err error
						page, err = tx.ListConversations(q)
						require.NoError(t, err)
					})
					got = append(got, page.Items...)
					if page.NextCursor == "" {
						break
					}
					q.Cursor = page.NextCursor
					// Between pages: new conversations anywhere in the
					// order, an unrelated update, and the deletion of the
					// conversation the cursor points to and of another one.
					h.update(func(tx driver.Tx) {
						for range 3 {
							c := newConversation(func(c *inbox.Conversation) {
								c.Status = inbox.Statuses[rng.IntN(6)]
								c.LastMessageAt = at(time.Duration(rng.IntN(10)) * time.Hour)
							})
							require.NoError(t, tx.CreateConversation(&c))
						}
						last := page.Items[len(page.Items)-1]
						require.NoError(t, tx.DeleteConversation(last.ID))
						delete(present, last.ID)
						for id := range present {
							c, err := tx.GetConversation(id)
							require.NoError(t, err)
							c.Summary = fmt.Sprintf("touched on page %d", pages)
							require.NoError(t, tx.UpdateConversation(&c))
							if pages%2 == 1 {
								require.NoError(t, tx.DeleteConversation(id))
								delete(present, id)
							}
							break
						}
					})
				}
				seen := map[string]int{}
				for i, c := range got {
					seen[c.ID]++
					require.Equal(t, 1, seen[c.ID], "conversation %s listed twice", c.ID)
					if i > 0 {
						require.Negative(t, compare(got[i-1], c), "items %d and %d out of order", i-1, i)
					}
				}
				for id := range present {
					require.Equal(t, 1, seen[id], "conversation %s present throughout was not listed", id)
				}
			})
		}
	})
	t.Run("CursorOfAnotherSortInvalid", func(t *testing.T) {
		h := setup(t, newStore)
		for range 3 {
			h.conversation()
		}
		h.view(func(tx driver.Tx) {
			page, err := tx.ListConversations(inbox.ConversationQuery{Limit: 1, Sort: inbox.SortPriority})
			require.NoError(t, err)
			_, err = tx.ListConversations(inbox.ConversationQuery{Limit: 1, Sort: inbox.SortOldest, Cursor: page.NextCursor})
			require.ErrorIs(t, err, inbox.ErrInvalid)
		})
	})
}

// cmpName names a sort for a subtest.
func cmpName(s inbox.Sort) inbox.Sort {
	if s == inbox.SortNewest {
		return "newest"
	}
	return s
}
