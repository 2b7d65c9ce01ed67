package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

func testTransactions(t *testing.T, newStore NewStoreFunc) {
	t.Run("TenantOfTx", func(t *testing.T) {
		h := setup(t, newStore)
		h.update(func(tx driver.Tx) { require.Equal(t, h.tenant, tx.Tenant()) })
		h.view(func(tx driver.Tx) { require.Equal(t, h.tenant, tx.Tenant()) })
	})
	t.Run("ErrorRollsBack", func(t *testing.T) {
		h := setup(t, newStore)
		in := inbox.Integration{Kind: inbox.SourceEmail, Name: "mail", Cursor: "c1"}
		conv := h.conversation()
		h.update(func(tx driver.Tx) { require.NoError(t, tx.CreateIntegration(&in)) })
		before := snapshot(t, h, h.tenant)

		boom := errors.New("boom")
		err := h.store.Update(h.ctx, h.tenant, func(tx driver.Tx) error {
			writeOneOfEverything(t, tx, conv.ID)
			require.NoError(t, tx.SetIntegrationCursor(in.ID, "c2"))
			require.NoError(t, tx.SetIntegrationStatus(in.ID, inbox.IntegrationError, inbox.SyncReport{Fetched: 1}))
			c := conv
			c.Status = inbox.StatusSpam
			require.NoError(t, tx.UpdateConversation(&c))
			require.NoError(t, tx.DeleteIntegration(in.ID))
			return boom
		})
		require.ErrorIs(t, err, boom, "Update returns fn's error")
		requireSame(t, before, snapshot(t, h, h.tenant), "a failed transaction leaves nothing behind")

		// The store still works and the rolled-back keys are free.
		h.update(func(tx driver.Tx) { writeOneOfEverything(t, tx, conv.ID) })
	})
	t.Run("PanicRollsBack", func(t *testing.T) {
		h := setup(t, newStore)
		conv := h.conversation()
		before := snapshot(t, h, h.tenant)
		require.Panics(t, func() {
			_ = h.store.Update(h.ctx, h.tenant, func(tx driver.Tx) error {
				writeOneOfEverything(t, tx, conv.ID)
				panic("fn panicked")
			})
		})
		requireSame(t, before, snapshot(t, h, h.tenant))
		h.update(func(tx driver.Tx) { writeOneOfEverything(t, tx, conv.ID) })
	})
	t.Run("ReadYourWrites", func(t *testing.T) {
		h := setup(t, newStore)
		h.update(func(tx driver.Tx) {
			c := newConversation()
			require.NoError(t, tx.CreateConversation(&c))
			m := newMessage(c.ID, func(m *inbox.Message) { m.DedupeKeys = []string{"d"}; m.ThreadKeys = []string{"t"} })
			require.NoError(t, tx.InsertMessage(&m))
			got, err := tx.GetConversation(c.ID)
			require.NoError(t, err)
			require.Equal(t, c.ID, got.ID)
			page, err := tx.ListConversations(inbox.ConversationQuery{})
			require.NoError(t, err)
			require.Len(t, page.Items, 1)
			taken, err := tx.LookupDedupeKeys([]string{"d"})
			require.NoError(t, err)
			require.Equal(t, m.ID, taken["d"])
			known, err := tx.LookupThreadKeys([]string{"t"})
			require.NoError(t, err)
			require.Equal(t, c.ID, known["t"])
		})
	})
	t.Run("ViewCannotWrite", func(t *testing.T) {
		h := setup(t, newStore)
		conv := h.conversation()
		msg := h.message(conv.ID)
		before := snapshot(t, h, h.tenant)
		h.view(func(tx driver.Tx) {
			for name, write := range writesOf(conv, msg) {
				require.ErrorIs(t, write(tx), inbox.ErrUnsupported, "%s in a View", name)
				// Still readable after a refused write.
				_, err := tx.GetConversation(conv.ID)
				require.NoError(t, err, "reading after %s in a View", name)
			}
		})
		requireSame(t, before, snapshot(t, h, h.tenant), "a View writes nothing")
	})
	t.Run("FailedStatementKeepsTx", func(t *testing.T) {
		h := setup(t, newStore)
		conv := h.conversation()
		h.message(conv.ID, func(m *inbox.Message) { m.DedupeKeys = []string{"dup"} })
		var kept inbox.Folder
		h.update(func(tx driver.Tx) {
			kept = inbox.Folder{Name: "before"}
			require.NoError(t, tx.CreateFolder(&kept))
			dup := newMessage(conv.ID, func(m *inbox.Message) { m.DedupeKeys = []string{"dup"} })
			require.ErrorIs(t, tx.InsertMessage(&dup), inbox.ErrConflict)
			stale := conv
			stale.Version = 7
			require.ErrorIs(t, tx.UpdateConversation(&stale), inbox.ErrConflict)
			require.ErrorIs(t, tx.DeleteFolder("no-such-folder"), inbox.ErrNotFound)
			o := inbox.OutboxItem{}
			require.ErrorIs(t, tx.EnqueueOutbox(&o), inbox.ErrInvalid)
			after := inbox.Folder{Name: "after"}
			require.NoError(t, tx.CreateFolder(&after))
		})
		h.view(func(tx driver.Tx) {
			list, err := tx.ListFolders()
			require.NoError(t, err)
			require.Len(t, list, 2, "writes around failed statements commit")
		})
	})
	t.Run("CanceledContext", func(t *testing.T) {
		h := setup(t, newStore)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := h.store.Update(ctx, h.tenant, func(tx driver.Tx) error {
			f := inbox.Folder{Name: "never"}
			return tx.CreateFolder(&f)
		})
		require.ErrorIs(t, err, context.Canceled)
		err = h.store.View(ctx, h.tenant, func(tx driver.Tx) error { return nil })
		require.ErrorIs(t, err, context.Canceled)
		h.view(func(tx driver.Tx) {
			list, err := tx.ListFolders()
			require.NoError(t, err)
			require.Empty(t, list)
		})
	})
}

// writeOneOfEverything creates one record of each kind in conversation
// convID, with fixed unique keys (so a second call conflicts unless the
// first rolled back).
func writeOneOfEverything(t *testing.T, tx driver.Tx, convID string) {
	t.Helper()
	in := inbox.Integration{Kind: inbox.SourceSMS, Name: "sms"}
	require.NoError(t, tx.CreateIntegration(&in))
	c := inbox.Contact{Name: "Zed", Emails: []string{"zed@example.com"}}
	require.NoError(t, tx.CreateContact(&c))
	f := inbox.Folder{Name: "Temp"}
	require.NoError(t, tx.CreateFolder(&f))
	conv := newConversation()
	require.NoError(t, tx.CreateConversation(&conv))
	m := newMessage(convID, func(m *inbox.Message) { m.DedupeKeys = []string{"d:rollback"}; m.ThreadKeys = []string{"t:rollback"} })
	require.NoError(t, tx.InsertMessage(&m))
	require.NoError(t, tx.CreateNote(&inbox.Note{ConversationID: convID, Body: "n"}))
	require.NoError(t, tx.CreateTask(&inbox.Task{ConversationID: convID, Title: "t"}))
	require.NoError(t, tx.CreateFollowUp(&inbox.FollowUp{ConversationID: convID, DueAt: t0}))
	require.NoError(t, tx.CreateDraft(&inbox.Draft{ConversationID: convID, Text: "d"}))
	require.NoError(t, tx.EnqueueOutbox(&inbox.OutboxItem{MessageID: m.ID, IdempotencyKey: "idem:rollback"}))
	require.NoError(t, tx.AddQuarantine(&inbox.QuarantineItem{Error: "bad"}))
	require.NoError(t, tx.AppendAudit(inbox.AuditEntry{Action: "rollback"}))
	require.NoError(t, tx.CreateNotification(&inbox.Notification{UserID: "emp-1", Text: "n"}))
}

// writesOf returns one call of every write method of a Tx, on records that
// exist (conv and msg) or new ones.
func writesOf(conv inbox.Conversation, msg inbox.Message) map[string]func(tx driver.Tx) error {
	return map[string]func(tx driver.Tx) error{
		"CreateIntegration":    func(tx driver.Tx) error { return tx.CreateIntegration(&inbox.Integration{Name: "x"}) },
		"UpdateIntegration":    func(tx driver.Tx) error { return tx.UpdateIntegration(&inbox.Integration{ID: "x", Version: 1}) },
		"SetIntegrationCursor": func(tx driver.Tx) error { return tx.SetIntegrationCursor("x", "c") },
		"SetIntegrationStatus": func(tx driver.Tx) error { return tx.SetIntegrationStatus("x", "ok", inbox.SyncReport{}) },
		"DeleteIntegration":    func(tx driver.Tx) error { return tx.DeleteIntegration("x") },
		"CreateContact":        func(tx driver.Tx) error { return tx.CreateContact(&inbox.Contact{Name: "x"}) },
		"UpdateContact":        func(tx driver.Tx) error { return tx.UpdateContact(&inbox.Contact{ID: "x", Version: 1}) },
		"DeleteContact":        func(tx driver.Tx) error { return tx.DeleteContact("x") },
		"CreateFolder":         func(tx driver.Tx) error { return tx.CreateFolder(&inbox.Folder{Name: "x"}) },
		"UpdateFolder":         func(tx driver.Tx) error { return tx.UpdateFolder(&inbox.Folder{ID: "x", Version: 1}) },
		"DeleteFolder":         func(tx driver.Tx) error { return tx.DeleteFolder("x") },
		"CreateConversation": func(tx driver.Tx) error {
			c := newConversation()
			return tx.CreateConversation(&c)
		},
		"UpdateConversation": func(tx driver.Tx) error {
			c := conv
			c.Status = inbox.StatusSpam
			return tx.UpdateConversation(&c)
		},
		"DeleteConversation": func(tx driver.Tx) error { return tx.DeleteConversation(conv.ID) },
		"InsertMessage": func(tx driver.Tx) error {
			m := newMessage(conv.ID)
			return tx.InsertMessage(&m)
		},
		"UpdateMessage": func(tx driver.Tx) error {
			m := msg
			m.Read = true
			return tx.UpdateMessage(&m)
		},
		"MoveMessage":          func(tx driver.Tx) error { return tx.MoveMessage(msg.ID, conv.ID) },
		"CreateNote":           func(tx driver.Tx) error { return tx.CreateNote(&inbox.Note{ConversationID: conv.ID}) },
		"CreateTask":           func(tx driver.Tx) error { return tx.CreateTask(&inbox.Task{Title: "x"}) },
		"UpdateTask":           func(tx driver.Tx) error { return tx.UpdateTask(&inbox.Task{ID: "x", Version: 1}) },
		"CreateFollowUp":       func(tx driver.Tx) error { return tx.CreateFollowUp(&inbox.FollowUp{ConversationID: conv.ID}) },
		"UpdateFollowUp":       func(tx driver.Tx) error { return tx.UpdateFollowUp(&inbox.FollowUp{ID: "x", Version: 1}) },
		"CreateDraft":          func(tx driver.Tx) error { return tx.CreateDraft(&inbox.Draft{ConversationID: conv.ID}) },
		"UpdateDraft":          func(tx driver.Tx) error { return tx.UpdateDraft(&inbox.Draft{ID: "x", Version: 1}) },
		"EnqueueOutbox":        func(tx driver.Tx) error { return tx.EnqueueOutbox(&inbox.OutboxItem{IdempotencyKey: "k"}) },
		"UpdateOutbox":         func(tx driver.Tx) error { return tx.UpdateOutbox(&inbox.OutboxItem{ID: "x"}) },
		"AddQuarantine":        func(tx driver.Tx) error { return tx.AddQuarantine(&inbox.QuarantineItem{Error: "x"}) },
		"UpdateQuarantine":     func(tx driver.Tx) error { return tx.UpdateQuarantine(&inbox.QuarantineItem{ID: "x"}) },
		"AppendAudit":          func(tx driver.Tx) error { return tx.AppendAudit(inbox.AuditEntry{Action: "x"}) },
		"CreateNotification":   func(tx driver.Tx) error { return tx.CreateNotification(&inbox.Notification{UserID: "x"}) },
		"MarkNotificationRead": func(tx driver.Tx) error { return tx.MarkNotificationRead("x", t0) },
	}
}
