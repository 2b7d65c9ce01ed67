package storetest

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

func messageEntity() entity[inbox.Message] {
	return entity[inbox.Message]{
		full: func(h *harness) inbox.Message { return fullMessage(h.conversation().ID) },
		minimal: func(h *harness) inbox.Message {
			return inbox.Message{ConversationID: h.conversation().ID, Source: inbox.SourceSMS, Direction: inbox.DirectionIn}
		},
		create: func(tx driver.Tx, v *inbox.Message) error { return tx.InsertMessage(v) },
		get:    func(tx driver.Tx, id string) (inbox.Message, error) { return tx.GetMessage(id) },
		update: func(tx driver.Tx, v *inbox.Message) error { return tx.UpdateMessage(v) },
		change: func(v *inbox.Message) {
			v.Read = false
			v.Delivery = inbox.DeliveryDelivered
			v.DeliveryError = ""
			v.ProviderID = "SM-123"
			v.Text = "Edited text"
			v.HTML = ""
			v.Attachments = v.Attachments[:1]
			v.Language = "en"
			// Fixed at insert: ignored by UpdateMessage.
			v.ConversationID = "elsewhere"
			v.DedupeKeys = []string{"changed"}
			v.ThreadKeys = nil
		},
		fixed: func(v *inbox.Message, stored inbox.Message) {
			v.ConversationID, v.DedupeKeys, v.ThreadKeys = stored.ConversationID, stored.DedupeKeys, stored.ThreadKeys
		},
		id:        func(v *inbox.Message) *string { return &v.ID },
		tenant:    func(v *inbox.Message) *inbox.TenantID { return &v.TenantID },
		createdAt: func(v *inbox.Message) *time.Time { return &v.CreatedAt },
		version:   func(v *inbox.Message) *int64 { return &v.Version },
	}
}

func testMessages(t *testing.T, newStore NewStoreFunc) {
	checkEntity(t, newStore, messageEntity())

	t.Run("InsertIntoUnknownConversationNotFound", func(t *testing.T) {
		h := setup(t, newStore)
		m := newMessage("no-such-conversation")
		h.update(func(tx driver.Tx) { require.ErrorIs(t, tx.InsertMessage(&m), inbox.ErrNotFound) })
	})
	t.Run("ByProviderID", func(t *testing.T) {
		h := setup(t, newStore)
		conv := h.conversation()
		m := h.message(conv.ID, func(m *inbox.Message) { m.IntegrationID, m.ProviderID = "int-1", "42" })
		h.message(conv.ID, func(m *inbox.Message) { m.IntegrationID, m.ProviderID = "int-2", "42" })
		h.view(func(tx driver.Tx) {
			got, err := tx.GetMessageByProviderID("int-1", "42")
			require.NoError(t, err)
			requireSame(t, m, got)
			for _, k := range [][2]string{{"int-1", "43"}, {"int-3", "42"}, {"", ""}} {
				_, err = tx.GetMessageByProviderID(k[0], k[1])
				require.ErrorIs(t, err, inbox.ErrNotFound, "%v", k)
			}
		})
		// An outbound message learns its provider id after delivery.
		out := h.message(conv.ID, func(m *inbox.Message) {
			m.IntegrationID, m.Direction, m.Author, m.Delivery = "int-1", inbox.DirectionOut, inbox.AuthorAgent, inbox.DeliveryQueued
		})
		out.ProviderID, out.Delivery = "SM-9", inbox.DeliverySent
		h.update(func(tx driver.Tx) { require.NoError(t, tx.UpdateMessage(&out)) })
		h.view(func(tx driver.Tx) {
			got, err := tx.GetMessageByProviderID("int-1", "SM-9")
			require.NoError(t, err)
			require.Equal(t, out.ID, got.ID)
			require.Equal(t, inbox.DeliverySent, got.Delivery)
		})
	})
	t.Run("FirstInboundOfManyConversations", func(t *testing.T) {
		h := setup(t, newStore)
		outbound := func(m *inbox.Message) { m.Direction, m.Author = inbox.DirectionOut, inbox.AuthorAgent }
		a, b, none := h.conversation(), h.conversation(), h.conversation()
		h.message(a.ID, outbound, func(m *inbox.Message) { m.SentAt = at(-2 * time.Hour) })
		firstA := h.message(a.ID, func(m *inbox.Message) { m.SentAt = at(-time.Hour) })
		h.message(a.ID, func(m *inbox.Message) { m.SentAt = at(time.Minute) })
		b1 := h.message(b.ID, func(m *inbox.Message) { m.SentAt = at(0) })
		b2 := h.message(b.ID, func(m *inbox.Message) { m.SentAt = at(0) })
		firstB := b1
		if b2.ID < b1.ID {
			firstB = b2
		}
		h.message(none.ID, outbound)
		h.view(func(tx driver.Tx) {
			got, err := tx.FirstInbound([]string{a.ID, b.ID, none.ID, "no-such-conversation"})
			require.NoError(t, err)
			require.Len(t, got, 2)
			requireSame(t, firstA, got[a.ID])
			require.Equal(t, firstB.ID, got[b.ID].ID)
			got, err = tx.FirstInbound(nil)
			require.NoError(t, err)
			require.Empty(t, got)
		})
	})
	t.Run("BlobRefsFrom", func(t *testing.T) {
		h := setup(t, newStore)
		h.addTenant("other")
		conv := h.conversation()
		withFiles := func(raw string, files ...string) func(*inbox.Message) {
			return func(m *inbox.Message) {
				m.RawKey = raw
				m.Attachments = nil
				for _, f := range files {
					m.Attachments = append(m.Attachments, inbox.Attachment{ID: f, Filename: f + ".pdf", ContentType: "application/pdf", BlobKey: f})
				}
			}
		}
		oldID := inbox.NewID()
		from := inbox.NewID()
		h.message(conv.ID, withFiles("raw-old", "file-old"), func(m *inbox.Message) { m.ID = oldID })
		h.message(conv.ID, withFiles("raw-new", "file-1", "file-2"), func(m *inbox.Message) { m.ID = inbox.NewID() })
		h.message(conv.ID, withFiles(""), func(m *inbox.Message) { m.ID = inbox.NewID() })
		h.update(func(tx driver.Tx) {
			require.NoError(t, tx.AddQuarantine(&inbox.QuarantineItem{ID: inbox.NewID(), Error: "bad", RawKey: "raw-quarantined"}))
		})
		other := h.conversationIn("other")
		h.updateIn("other", func(tx driver.Tx) {
			m := newMessage(other.ID, withFiles("raw-other", "file-other"), func(m *inbox.Message) { m.ID = inbox.NewID() })
			require.NoError(t, tx.InsertMessage(&m))
		})
		refs := func(fromID string) []string {
			seen := map[string]bool{}
			h.view(func(tx driver.Tx) {
				require.NoError(t, tx.BlobRefsFrom(fromID, func(k string) error { seen[k] = true; return nil }))
			})
			keys := slices.Collect(maps.Keys(seen))
			slices.Sort(keys)
			return keys
		}
		require.Equal(t, []string{"file-1", "file-2", "raw-new", "raw-quarantined"}, refs(from),
			"keys of records made from the ID on, of this tenant only")
		require.Equal(t, []string{"file-1", "file-2", "file-old", "raw-new", "raw-old", "raw-quarantined"}, refs(""))
		require.Equal(t, []string{"file-1", "file-2", "file-old", "raw-new", "raw-old", "raw-quarantined"}, refs(oldID), "fromID itself is included")
	})
	t.Run("LastInbound", func(t *testing.T) {
		h := setup(t, newStore)
		outbound := func(m *inbox.Message) { m.Direction, m.Author = inbox.DirectionOut, inbox.AuthorAgent }
		conv, none := h.conversation(), h.conversation()
		h.message(conv.ID, func(m *inbox.Message) { m.SentAt = at(-time.Hour) })
		a := h.message(conv.ID, func(m *inbox.Message) { m.SentAt = at(time.Minute) })
		b := h.message(conv.ID, func(m *inbox.Message) { m.SentAt = at(time.Minute) })
		h.message(conv.ID, outbound, func(m *inbox.Message) { m.SentAt = at(time.Hour) })
		h.message(none.ID, outbound)
		latest := b
		if a.ID > b.ID {
			latest = a
		}
		h.view(func(tx driver.Tx) {
			got, err := tx.LastInbound(conv.ID)
			require.NoError(t, err)
			requireSame(t, latest, got)
			_, err = tx.LastInbound(none.ID)
			require.ErrorIs(t, err, inbox.ErrNotFound)
			_, err = tx.LastInbound("no-such-conversation")
			require.ErrorIs(t, err, inbox.ErrNotFound)
		})
	})
	t.Run("ListOldestFirst", func(t *testing.T) {
		h := setup(t, newStore)
		conv, other := h.conversation(), h.conversation()
		third := h.message(conv.ID, func(m *inbox.Message) { m.SentAt = at(3 * time.Minute) })
		first := h.message(conv.ID, func(m *inbox.Message) { m.SentAt = at(-time.Hour) })
		secondA := h.message(conv.ID, func(m *inbox.Message) { m.SentAt = at(time.Minute) })
		secondB := h.message(conv.ID, func(m *inbox.Message) { m.SentAt = at(time.Minute) })
		h.message(other.ID)
		h.view(func(tx driver.Tx) {
			list, err := tx.ListMessages(conv.ID)
			require.NoError(t, err)
			want := []string{first.ID, secondA.ID, secondB.ID, third.ID}
			if secondB.ID < secondA.ID {
				want[1], want[2] = secondB.ID, secondA.ID
			}
			require.Equal(t, want, messageIDs(list))
			requireSame(t, first, list[0])

			_, err = tx.ListMessages("no-such-conversation")
			require.ErrorIs(t, err, inbox.ErrNotFound)
		})
		empty := h.conversation()
		h.view(func(tx driver.Tx) {
			list, err := tx.ListMessages(empty.ID)
			require.NoError(t, err)
			require.Empty(t, list)
		})
	})
	t.Run("Move", func(t *testing.T) {
		h := setup(t, newStore)
		from, to := h.conversation(), h.conversation()
		m := h.message(from.ID, func(m *inbox.Message) { m.ThreadKeys = []string{"m:moved@example.com"} })
		stays := h.message(from.ID)
		h.update(func(tx driver.Tx) { require.NoError(t, tx.MoveMessage(m.ID, to.ID)) })
		h.view(func(tx driver.Tx) {
			got, err := tx.GetMessage(m.ID)
			require.NoError(t, err)
			require.Equal(t, to.ID, got.ConversationID)
			require.EqualValues(t, 2, got.Version, "a move is an update of the message")
			list, err := tx.ListMessages(from.ID)
			require.NoError(t, err)
			require.Equal(t, []string{stays.ID}, messageIDs(list))
			list, err = tx.ListMessages(to.ID)
			require.NoError(t, err)
			require.Equal(t, []string{m.ID}, messageIDs(list))
		})
		h.update(func(tx driver.Tx) {
			require.ErrorIs(t, tx.MoveMessage("no-such-message", to.ID), inbox.ErrNotFound)
			require.ErrorIs(t, tx.MoveMessage(m.ID, "no-such-conversation"), inbox.ErrNotFound)
			got, err := tx.GetMessage(m.ID)
			require.NoError(t, err)
			require.Equal(t, to.ID, got.ConversationID)
		})
	})
}

// messageIDs lists the ids of ms in order.
func messageIDs(ms []inbox.Message) []string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids
}
