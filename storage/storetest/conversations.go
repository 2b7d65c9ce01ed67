package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

func conversationEntity() entity[inbox.Conversation] {
	return entity[inbox.Conversation]{
		full: func(*harness) inbox.Conversation { return fullConversation() },
		minimal: func(*harness) inbox.Conversation {
			return inbox.Conversation{Source: inbox.SourceSMS, Status: inbox.StatusNew}
		},
		create: func(tx driver.Tx, v *inbox.Conversation) error { return tx.CreateConversation(v) },
		get:    func(tx driver.Tx, id string) (inbox.Conversation, error) { return tx.GetConversation(id) },
		update: func(tx driver.Tx, v *inbox.Conversation) error { return tx.UpdateConversation(v) },
		change: func(v *inbox.Conversation) {
			v.FolderID = ""
			v.Status = inbox.StatusResolved
			v.Intent = inbox.IntentOrder
			v.Urgency = inbox.UrgencyLow
			v.Assignee = "emp-8"
			v.Tags = []string{"solved"}
			v.Unread = 0
			v.MessageCount = 4
			v.LastMessageAt = at(5 * time.Hour)
			v.Classification = inbox.Decision{By: inbox.DecidedByManual, FolderID: "", At: at(5 * time.Hour)}
			v.ExternalRefs = nil
			v.Summary = "Replaced."
			v.UpdatedAt = at(5 * time.Hour)
		},
		id:        func(v *inbox.Conversation) *string { return &v.ID },
		tenant:    func(v *inbox.Conversation) *inbox.TenantID { return &v.TenantID },
		createdAt: func(v *inbox.Conversation) *time.Time { return &v.CreatedAt },
		version:   func(v *inbox.Conversation) *int64 { return &v.Version },
	}
}

func testConversations(t *testing.T, newStore NewStoreFunc) {
	checkEntity(t, newStore, conversationEntity())

	t.Run("ValuesAreCopies", func(t *testing.T) {
		h := setup(t, newStore)
		c := fullConversation()
		h.update(func(tx driver.Tx) { require.NoError(t, tx.CreateConversation(&c)) })
		want := c
		want.Tags = []string{"vip", "damaged"}
		want.Classification.Tags = []string{"damaged"}
		want.ExternalRefs = map[string]string{"deal": "D-42", "ticket": "T-7"}
		// Mutating the caller's value after the call, or a returned value,
		// must not reach the store.
		c.Tags[0] = "mutated"
		c.Classification.Tags[0] = "mutated"
		c.ExternalRefs["deal"] = "mutated"
		h.view(func(tx driver.Tx) {
			got, err := tx.GetConversation(c.ID)
			require.NoError(t, err)
			got.Tags[0] = "mutated"
			got.ExternalRefs["deal"] = "mutated"
			got.Classification.Tags[0] = "mutated"
			page, err := tx.ListConversations(inbox.ConversationQuery{})
			require.NoError(t, err)
			page.Items[0].Tags[1] = "mutated"
		})
		requireSame(t, want, h.getConversation(c.ID))
	})
	t.Run("DeleteCascades", func(t *testing.T) {
		h := setup(t, newStore)
		conv := h.conversation()
		other := h.conversation()
		msg := h.message(conv.ID, func(m *inbox.Message) {
			m.DedupeKeys = []string{"d:1"}
			m.ThreadKeys = []string{"m:1@example.com"}
			m.ProviderID, m.IntegrationID = "p-1", "integration-1"
		})
		kept := h.message(other.ID)
		note := inbox.Note{ConversationID: conv.ID, Author: "emp-1", Body: "call back"}
		task := inbox.Task{ConversationID: conv.ID, Title: "refund"}
		fu := inbox.FollowUp{ConversationID: conv.ID, DueAt: at(time.Hour), Status: inbox.FollowUpPending}
		draft := inbox.Draft{ConversationID: conv.ID, Text: "Hello", Status: inbox.DraftPending}
		h.update(func(tx driver.Tx) {
			require.NoError(t, tx.CreateNote(&note))
			require.NoError(t, tx.CreateTask(&task))
			require.NoError(t, tx.CreateFollowUp(&fu))
			require.NoError(t, tx.CreateDraft(&draft))
			require.NoError(t, tx.AppendAudit(inbox.AuditEntry{Actor: "emp-1", Action: "note.created", EntityType: "note", EntityID: note.ID, ConversationID: conv.ID}))
		})
		h.update(func(tx driver.Tx) { require.NoError(t, tx.DeleteConversation(conv.ID)) })
		h.view(func(tx driver.Tx) {
			_, err := tx.GetConversation(conv.ID)
			require.ErrorIs(t, err, inbox.ErrNotFound)
			_, err = tx.GetMessage(msg.ID)
			require.ErrorIs(t, err, inbox.ErrNotFound)
			_, err = tx.GetMessageByProviderID("integration-1", "p-1")
			require.ErrorIs(t, err, inbox.ErrNotFound)
			_, err = tx.ListMessages(conv.ID)
			require.ErrorIs(t, err, inbox.ErrNotFound)
			_, err = tx.ListNotes(conv.ID)
			require.ErrorIs(t, err, inbox.ErrNotFound)
			_, err = tx.GetTask(task.ID)
			require.ErrorIs(t, err, inbox.ErrNotFound)
			_, err = tx.GetFollowUp(fu.ID)
			require.ErrorIs(t, err, inbox.ErrNotFound)
			_, err = tx.GetDraft(draft.ID)
			require.ErrorIs(t, err, inbox.ErrNotFound)
			tasks, err := tx.ListTasks(inbox.TaskQuery{ConversationID: conv.ID})
			require.NoError(t, err)
			require.Empty(t, tasks)
			fus, err := tx.ListFollowUps(inbox.FollowUpQuery{ConversationID: conv.ID})
			require.NoError(t, err)
			require.Empty(t, fus)
			drafts, err := tx.ListDrafts(inbox.DraftQuery{ConversationID: conv.ID})
			require.NoError(t, err)
			require.Empty(t, drafts)
			audit, err := tx.ListAudit(inbox.AuditQuery{ConversationID: conv.ID})
			require.NoError(t, err)
			require.Len(t, audit, 1, "audit entries outlive the conversation")

			got, err := tx.GetMessage(kept.ID)
			require.NoError(t, err, "other conversations are untouched")
			require.Equal(t, other.ID, got.ConversationID)
		})
		h.update(func(tx driver.Tx) { require.ErrorIs(t, tx.DeleteConversation(conv.ID), inbox.ErrNotFound) })
	})
}

// conversationIDs lists the ids of cs in order.
func conversationIDs(cs []inbox.Conversation) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

// nonZero drops zero counts, which a store may or may not report.
func nonZero(counts map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range counts {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}
