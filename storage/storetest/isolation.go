package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// foreignRecords are one record of every kind, created in tenant A.
type foreignRecords struct {
	integration  inbox.Integration
	contact      inbox.Contact
	folder       inbox.Folder
	conversation inbox.Conversation
	message      inbox.Message
	note         inbox.Note
	task         inbox.Task
	followUp     inbox.FollowUp
	draft        inbox.Draft
	outbox       inbox.OutboxItem
	quarantine   inbox.QuarantineItem
	notification inbox.Notification
}

func createForeign(t *testing.T, h *harness) foreignRecords {
	var r foreignRecords
	h.update(func(tx driver.Tx) {
		r.integration = fullIntegration()
		require.NoError(t, tx.CreateIntegration(&r.integration))
		r.contact = fullContact()
		require.NoError(t, tx.CreateContact(&r.contact))
		r.folder = fullFolder()
		require.NoError(t, tx.CreateFolder(&r.folder))
		r.conversation = fullConversation()
		r.conversation.FolderID, r.conversation.ContactID, r.conversation.IntegrationID = r.folder.ID, r.contact.ID, r.integration.ID
		r.conversation.Subject = "Commande introuvable"
		require.NoError(t, tx.CreateConversation(&r.conversation))
		r.message = fullMessage(r.conversation.ID)
		r.message.Text = "Ma commande introuvable"
		require.NoError(t, tx.InsertMessage(&r.message))
		r.note = inbox.Note{ConversationID: r.conversation.ID, Body: "secret note"}
		require.NoError(t, tx.CreateNote(&r.note))
		r.task = inbox.Task{ConversationID: r.conversation.ID, Title: "t", Assignee: "emp-1"}
		require.NoError(t, tx.CreateTask(&r.task))
		r.followUp = inbox.FollowUp{ConversationID: r.conversation.ID, DueAt: t0, Status: inbox.FollowUpPending}
		require.NoError(t, tx.CreateFollowUp(&r.followUp))
		r.draft = inbox.Draft{ConversationID: r.conversation.ID, Status: inbox.DraftPending}
		require.NoError(t, tx.CreateDraft(&r.draft))
		r.outbox = fullOutbox()
		r.outbox.MessageID = r.message.ID
		require.NoError(t, tx.EnqueueOutbox(&r.outbox))
		r.quarantine = fullQuarantine()
		r.quarantine.ReplayedAt = time.Time{}
		require.NoError(t, tx.AddQuarantine(&r.quarantine))
		require.NoError(t, tx.AppendAudit(inbox.AuditEntry{Action: "a", EntityID: r.message.ID, ConversationID: r.conversation.ID}))
		r.notification = inbox.Notification{UserID: "emp-1", Text: "n"}
		require.NoError(t, tx.CreateNotification(&r.notification))
	})
	return r
}

func testIsolation(t *testing.T, newStore NewStoreFunc) {
	const other inbox.TenantID = "tenant-b"

	t.Run("ReadsSeeNothing", func(t *testing.T) {
		h := setup(t, newStore)
		h.addTenant(other)
		a := createForeign(t, h)
		empty := snapshot(t, h, other)
		requireSame(t, tenantSnapshot{}, empty, "tenant B lists nothing of tenant A")
		h.viewIn(other, func(tx driver.Tx) {
			notFound := map[string]error{}
			_, notFound["GetIntegration"] = tx.GetIntegration(a.integration.ID)
			_, notFound["GetContact"] = tx.GetContact(a.contact.ID)
			_, notFound["FindContact email"] = tx.FindContact(inbox.ContactKey{Email: a.contact.Emails[0]})
			_, notFound["FindContact phone"] = tx.FindContact(inbox.ContactKey{Phone: a.contact.Phones[0]})
			_, notFound["FindContact external"] = tx.FindContact(inbox.ContactKey{ExternalID: a.contact.ExternalID})
			_, notFound["GetFolder"] = tx.GetFolder(a.folder.ID)
			_, notFound["GetConversation"] = tx.GetConversation(a.conversation.ID)
			_, notFound["GetMessage"] = tx.GetMessage(a.message.ID)
			_, notFound["GetMessageByProviderID"] = tx.GetMessageByProviderID(a.message.IntegrationID, a.message.ProviderID)
			_, notFound["ListMessages"] = tx.ListMessages(a.conversation.ID)
			_, notFound["ListNotes"] = tx.ListNotes(a.conversation.ID)
			_, notFound["GetTask"] = tx.GetTask(a.task.ID)
			_, notFound["GetFollowUp"] = tx.GetFollowUp(a.followUp.ID)
			_, notFound["GetDraft"] = tx.GetDraft(a.draft.ID)
			_, notFound["GetQuarantine"] = tx.GetQuarantine(a.quarantine.ID)
			for name, err := range notFound {
				require.ErrorIs(t, err, inbox.ErrNotFound, name)
			}
			taken, err := tx.LookupDedupeKeys(a.message.DedupeKeys)
			require.NoError(t, err)
			require.Empty(t, taken)
			known, err := tx.LookupThreadKeys(a.message.ThreadKeys)
			require.NoError(t, err)
			require.Empty(t, known)
			for _, q := range []inbox.ConversationQuery{
				{ContactID: a.contact.ID}, {FolderID: a.folder.ID}, {ThreadSubject: a.conversation.ThreadSubject},
				{IntegrationID: a.integration.ID}, {Search: "introuvable"}, {Tag: "vip"},
			} {
				page, err := tx.ListConversations(q)
				require.NoError(t, err)
				require.Empty(t, page.Items, "%+v", q)
			}
			for _, q := range []inbox.TaskQuery{{ConversationID: a.conversation.ID}, {Assignee: "emp-1"}} {
				list, err := tx.ListTasks(q)
				require.NoError(t, err)
				require.Empty(t, list)
			}
			list, err := tx.ListContacts(inbox.ContactQuery{Search: "Élodie"})
			require.NoError(t, err)
			require.Empty(t, list.Items)
			audit, err := tx.ListAudit(inbox.AuditQuery{EntityID: a.message.ID})
			require.NoError(t, err)
			require.Empty(t, audit)
		})
	})
	t.Run("WritesCannotReach", func(t *testing.T) {
		h := setup(t, newStore)
		h.addTenant(other)
		a := createForeign(t, h)
		before := snapshot(t, h, h.tenant)
		attempts := map[string]func(tx driver.Tx) error{
			"UpdateIntegration":    func(tx driver.Tx) error { v := a.integration; v.TenantID = ""; return tx.UpdateIntegration(&v) },
			"SetIntegrationCursor": func(tx driver.Tx) error { return tx.SetIntegrationCursor(a.integration.ID, "hijack") },
			"SetIntegrationStatus": func(tx driver.Tx) error {
				return tx.SetIntegrationStatus(a.integration.ID, inbox.IntegrationError, inbox.SyncReport{})
			},
			"DeleteIntegration":  func(tx driver.Tx) error { return tx.DeleteIntegration(a.integration.ID) },
			"UpdateContact":      func(tx driver.Tx) error { v := a.contact; v.TenantID = ""; v.Name = "x"; return tx.UpdateContact(&v) },
			"DeleteContact":      func(tx driver.Tx) error { return tx.DeleteContact(a.contact.ID) },
			"UpdateFolder":       func(tx driver.Tx) error { v := a.folder; v.TenantID = ""; v.Name = "x"; return tx.UpdateFolder(&v) },
			"DeleteFolder":       func(tx driver.Tx) error { return tx.DeleteFolder(a.folder.ID) },
			"UpdateConversation": func(tx driver.Tx) error { v := a.conversation; v.TenantID = ""; return tx.UpdateConversation(&v) },
			"UpdateConversation with A's tenant id": func(tx driver.Tx) error {
				v := a.conversation
				return tx.UpdateConversation(&v)
			},
			"DeleteConversation": func(tx driver.Tx) error { return tx.DeleteConversation(a.conversation.ID) },
			"InsertMessage into A's conversation": func(tx driver.Tx) error {
				m := newMessage(a.conversation.ID)
				return tx.InsertMessage(&m)
			},
			"UpdateMessage": func(tx driver.Tx) error { v := a.message; v.TenantID = ""; v.Read = false; return tx.UpdateMessage(&v) },
			"MoveMessage":   func(tx driver.Tx) error { return tx.MoveMessage(a.message.ID, a.conversation.ID) },
			"CreateNote":    func(tx driver.Tx) error { return tx.CreateNote(&inbox.Note{ConversationID: a.conversation.ID}) },
			"CreateTask":    func(tx driver.Tx) error { return tx.CreateTask(&inbox.Task{ConversationID: a.conversation.ID}) },
			"UpdateTask":    func(tx driver.Tx) error { v := a.task; v.TenantID = ""; v.Title = "x"; return tx.UpdateTask(&v) },
			"CreateFollowUp": func(tx driver.Tx) error {
				return tx.CreateFollowUp(&inbox.FollowUp{ConversationID: a.conversation.ID})
			},
			"UpdateFollowUp": func(tx driver.Tx) error { v := a.followUp; v.TenantID = ""; v.Note = "x"; return tx.UpdateFollowUp(&v) },
			"CreateDraft":    func(tx driver.Tx) error { return tx.CreateDraft(&inbox.Draft{ConversationID: a.conversation.ID}) },
			"UpdateDraft":    func(tx driver.Tx) error { v := a.draft; v.TenantID = ""; v.Text = "x"; return tx.UpdateDraft(&v) },
			"UpdateOutbox": func(tx driver.Tx) error {
				v := a.outbox
				v.TenantID, v.Status = "", inbox.OutboxSent
				return tx.UpdateOutbox(&v)
			},
			"UpdateQuarantine": func(tx driver.Tx) error {
				v := a.quarantine
				v.TenantID, v.Error = "", "x"
				return tx.UpdateQuarantine(&v)
			},
			"MarkNotificationRead": func(tx driver.Tx) error { return tx.MarkNotificationRead(a.notification.ID, t0) },
		}
		for name, attempt := range attempts {
			h.updateIn(other, func(tx driver.Tx) {
				err := attempt(tx)
				require.Error(t, err, name)
				require.True(t, errors.Is(err, inbox.ErrNotFound) || errors.Is(err, inbox.ErrInvalid),
					"%s on another tenant's record: want ErrNotFound (or ErrInvalid), got %v", name, err)
			})
		}
		// B's own message can neither move into A's conversation.
		own := h.conversationIn(other)
		m := newMessage(own.ID)
		h.updateIn(other, func(tx driver.Tx) {
			require.NoError(t, tx.InsertMessage(&m))
			require.ErrorIs(t, tx.MoveMessage(m.ID, a.conversation.ID), inbox.ErrNotFound)
		})
		requireSame(t, before, snapshot(t, h, h.tenant), "tenant A is unchanged")
	})
	t.Run("UniquenessIsPerTenant", func(t *testing.T) {
		h := setup(t, newStore)
		h.addTenant(other)
		a := createForeign(t, h)
		own := h.conversationIn(other)
		h.updateIn(other, func(tx driver.Tx) {
			m := newMessage(own.ID, func(m *inbox.Message) {
				m.DedupeKeys, m.ThreadKeys = a.message.DedupeKeys, a.message.ThreadKeys
				m.IntegrationID, m.ProviderID = a.message.IntegrationID, a.message.ProviderID
			})
			require.NoError(t, tx.InsertMessage(&m), "dedupe keys are per tenant")
			c := fullContact()
			require.NoError(t, tx.CreateContact(&c), "contact identities are per tenant")
			o := inbox.OutboxItem{IdempotencyKey: a.outbox.IdempotencyKey}
			require.NoError(t, tx.EnqueueOutbox(&o), "idempotency keys are per tenant")
			known, err := tx.LookupThreadKeys(a.message.ThreadKeys)
			require.NoError(t, err)
			for _, conv := range known {
				require.Equal(t, own.ID, conv)
			}
			got, err := tx.GetMessageByProviderID(a.message.IntegrationID, a.message.ProviderID)
			require.NoError(t, err)
			require.Equal(t, m.ID, got.ID)
		})
		h.view(func(tx driver.Tx) {
			known, err := tx.LookupThreadKeys(a.message.ThreadKeys)
			require.NoError(t, err)
			for _, conv := range known {
				require.Equal(t, a.conversation.ID, conv)
			}
			got, err := tx.GetMessageByProviderID(a.message.IntegrationID, a.message.ProviderID)
			require.NoError(t, err)
			require.Equal(t, a.message.ID, got.ID)
		})
	})
	t.Run("SameIDInAnotherTenant", func(t *testing.T) {
		h := setup(t, newStore)
		h.addTenant(other)
		a := createForeign(t, h)
		before := snapshot(t, h, h.tenant)
		// Ids are random, so a clash is either refused or kept apart; it
		// never reaches tenant A's record.
		h.updateIn(other, func(tx driver.Tx) {
			c := newConversation(func(c *inbox.Conversation) { c.ID = a.conversation.ID; c.Subject = "B's" })
			if err := tx.CreateConversation(&c); err != nil {
				require.ErrorIs(t, err, inbox.ErrConflict)
				return
			}
			got, err := tx.GetConversation(a.conversation.ID)
			require.NoError(t, err)
			require.Equal(t, "B's", got.Subject)
		})
		requireSame(t, before, snapshot(t, h, h.tenant))
	})
}
