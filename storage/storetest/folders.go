package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

func folderEntity() entity[inbox.Folder] {
	return entity[inbox.Folder]{
		full:    func(*harness) inbox.Folder { return fullFolder() },
		minimal: func(*harness) inbox.Folder { return inbox.Folder{Name: "Misc"} },
		create:  func(tx driver.Tx, v *inbox.Folder) error { return tx.CreateFolder(v) },
		get:     func(tx driver.Tx, id string) (inbox.Folder, error) { return tx.GetFolder(id) },
		update:  func(tx driver.Tx, v *inbox.Folder) error { return tx.UpdateFolder(v) },
		change: func(v *inbox.Folder) {
			v.Name = "Complaints"
			v.Description = "Anything broken"
			v.Position = 1
			v.Rules = []byte(`{"all": []}`)
			v.AutoReply = inbox.AutoReplySettings{Mode: inbox.AutoReplyAuto}
			v.UpdatedAt = at(time.Hour)
		},
		id:        func(v *inbox.Folder) *string { return &v.ID },
		tenant:    func(v *inbox.Folder) *inbox.TenantID { return &v.TenantID },
		createdAt: func(v *inbox.Folder) *time.Time { return &v.CreatedAt },
		version:   func(v *inbox.Folder) *int64 { return &v.Version },
	}
}

func testFolders(t *testing.T, newStore NewStoreFunc) {
	checkEntity(t, newStore, folderEntity())

	t.Run("ListOrderedByPositionNameID", func(t *testing.T) {
		h := setup(t, newStore)
		type spec struct {
			name string
			pos  int
		}
		var want []string
		h.update(func(tx driver.Tx) {
			for _, s := range []spec{{"sales", 2}, {"billing", 2}, {"urgent", 0}, {"billing", 2}, {"archive", 9}, {"misc", -1}} {
				f := inbox.Folder{Name: s.name, Position: s.pos}
				require.NoError(t, tx.CreateFolder(&f))
			}
		})
		h.view(func(tx driver.Tx) {
			list, err := tx.ListFolders()
			require.NoError(t, err)
			require.Len(t, list, 6)
			for _, f := range list {
				want = append(want, f.Name)
			}
			require.Equal(t, []string{"misc", "urgent", "billing", "billing", "sales", "archive"}, want)
			require.Less(t, list[2].ID, list[3].ID, "equal position and name are ordered by id")
		})
	})
	t.Run("DeleteUnfilesConversations", func(t *testing.T) {
		h := setup(t, newStore)
		doomed, kept := inbox.Folder{Name: "doomed"}, inbox.Folder{Name: "kept"}
		h.update(func(tx driver.Tx) {
			require.NoError(t, tx.CreateFolder(&doomed))
			require.NoError(t, tx.CreateFolder(&kept))
		})
		inDoomed := h.conversation(func(c *inbox.Conversation) { c.FolderID = doomed.ID; c.Unread = 1 })
		inKept := h.conversation(func(c *inbox.Conversation) { c.FolderID = kept.ID })
		h.update(func(tx driver.Tx) { require.NoError(t, tx.DeleteFolder(doomed.ID)) })
		h.view(func(tx driver.Tx) {
			_, err := tx.GetFolder(doomed.ID)
			require.ErrorIs(t, err, inbox.ErrNotFound)
			c, err := tx.GetConversation(inDoomed.ID)
			require.NoError(t, err, "deleting a folder keeps its conversations")
			require.Empty(t, c.FolderID)
			require.EqualValues(t, 2, c.Version, "unfiling is an update of the conversation")
			c, err = tx.GetConversation(inKept.ID)
			require.NoError(t, err)
			require.Equal(t, kept.ID, c.FolderID)
			require.EqualValues(t, 1, c.Version)

			page, err := tx.ListConversations(inbox.ConversationQuery{FolderID: inbox.Unfiled})
			require.NoError(t, err)
			require.Equal(t, []string{inDoomed.ID}, conversationIDs(page.Items))
			counts, err := tx.UnreadCounts()
			require.NoError(t, err)
			require.Equal(t, map[string]int{"": 1}, nonZero(counts))
		})
		h.update(func(tx driver.Tx) { require.ErrorIs(t, tx.DeleteFolder(doomed.ID), inbox.ErrNotFound) })
	})
}
