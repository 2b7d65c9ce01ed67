package inbox_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// TestEngineTenantIsolation drives every Engine action of tenant B at
// tenant A's records: each is refused as not found and A's data is left
// exactly as it was.
func TestEngineTenantIsolation(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	const tenantB inbox.TenantID = "rival"
	require.NoError(t, e.store.CreateTenant(e.ctx, &inbox.Tenant{ID: tenantB, Name: "Rival"}))

	res := e.ingest(email("m1", "a@x.example", "Facture F-12", "bonjour"), email("m2", "b@x.example", "Autre sujet", "salut"))
	convA, convA2, msgA := res.Items[0].ConversationID, res.Items[1].ConversationID, res.Items[0].MessageID
	folderA := e.folder("Facturation", inbox.AutoReplyOff)
	actor := inbox.Change{Actor: "mallory"}
	note, err := e.engine.AddNote(e.ctx, tenantA, convA, "interne", inbox.Change{Actor: "ana"})
	require.NoError(t, err)
	task, err := e.engine.CreateTask(e.ctx, tenantA, convA, inbox.TaskRequest{Title: "rappeler"}, inbox.Change{Actor: "ana"})
	require.NoError(t, err)
	fu, err := e.engine.ScheduleFollowUp(e.ctx, tenantA, convA, inbox.FollowUpRequest{DueAt: e.clock.Now().Add(time.Hour)}, inbox.Change{Actor: "ana"})
	require.NoError(t, err)
	before := e.conversation(convA)
	_ = note

	attempts := map[string]func() error{
		"SetStatus":   func() error { _, err := e.engine.SetStatus(e.ctx, tenantB, convA, inbox.StatusSpam, actor); return err },
		"Assign":      func() error { _, err := e.engine.Assign(e.ctx, tenantB, convA, "mallory", actor); return err },
		"Move":        func() error { _, err := e.engine.Move(e.ctx, tenantB, convA, "", actor); return err },
		"MarkRead":    func() error { _, err := e.engine.MarkRead(e.ctx, tenantB, convA, true, actor); return err },
		"SetTags":     func() error { _, err := e.engine.SetTags(e.ctx, tenantB, convA, []string{"x"}, actor); return err },
		"LinkProject": func() error { _, err := e.engine.LinkProject(e.ctx, tenantB, convA, "p", nil, actor); return err },
		"AddNote":     func() error { _, err := e.engine.AddNote(e.ctx, tenantB, convA, "hi", actor); return err },
		"Reply": func() error {
			_, err := e.engine.Reply(e.ctx, tenantB, convA, inbox.ReplyRequest{Text: "hi"}, actor)
			return err
		},
		"Merge": func() error { _, err := e.engine.Merge(e.ctx, tenantB, convA, convA2, actor); return err },
		"Split": func() error { _, err := e.engine.Split(e.ctx, tenantB, msgA, actor); return err },
		"CreateTask": func() error {
			_, err := e.engine.CreateTask(e.ctx, tenantB, convA, inbox.TaskRequest{Title: "t"}, actor)
			return err
		},
		"CompleteTask": func() error { _, err := e.engine.CompleteTask(e.ctx, tenantB, task.ID, true, actor); return err },
		"ScheduleFollowUp": func() error {
			_, err := e.engine.ScheduleFollowUp(e.ctx, tenantB, convA, inbox.FollowUpRequest{DueAt: e.clock.Now().Add(time.Hour)}, actor)
			return err
		},
		"CloseFollowUp": func() error {
			_, err := e.engine.CloseFollowUp(e.ctx, tenantB, fu.ID, inbox.FollowUpDone, actor)
			return err
		},
		"Contact": func() error { _, err := e.engine.Contact(e.ctx, tenantB, before.ContactID); return err },
		"MergeContacts": func() error {
			_, err := e.engine.MergeContacts(e.ctx, tenantB, before.ContactID, e.conversation(convA2).ContactID, actor)
			return err
		},
		"SaveFolder": func() error {
			_, err := e.engine.SaveFolder(e.ctx, tenantB, inbox.Folder{ID: folderA.ID, Name: "pwned", Version: folderA.Version}, actor)
			return err
		},
		"DeleteFolder": func() error { return e.engine.DeleteFolder(e.ctx, tenantB, folderA.ID, actor) },
		"Replay":       func() error { _, err := e.engine.Replay(e.ctx, tenantB, "q-of-a"); return err },
		"Sync":         func() error { _, err := e.engine.Sync(e.ctx, tenantB, "integration-of-a"); return err },
	}
	for name, try := range attempts {
		require.ErrorIs(t, try(), inbox.ErrNotFound, name)
	}

	after := e.conversation(convA)
	require.Equal(t, before, after, "tenant A's conversation is untouched")
	require.Len(t, e.messages(convA), 1)
	var folders []inbox.Folder
	e.update(func(tx driver.Tx) error { var err error; folders, err = tx.ListFolders(); return err })
	require.Len(t, folders, 1)
	require.Equal(t, "Facturation", folders[0].Name)

	// B's own views show nothing of A
	require.NoError(t, e.store.View(e.ctx, tenantB, func(tx driver.Tx) error {
		page, err := tx.ListConversations(inbox.ConversationQuery{})
		require.NoError(t, err)
		require.Empty(t, page.Items)
		return nil
	}))
	stats, err := e.engine.Stats(e.ctx, tenantB, inbox.StatsQuery{})
	require.NoError(t, err)
	require.Zero(t, stats.Conversations)
}
