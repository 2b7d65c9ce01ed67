package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// testText checks what a store does with text it cannot keep: a NUL byte
// or invalid UTF-8 is refused with ErrInvalid naming the field, the
// transaction stays usable and nothing of the refused record is stored.
// Through the engine such text is cleaned first (inbox.CleanText), so a
// channel's hostile message is stored, readable, on every store.
func testText(t *testing.T, newStore NewStoreFunc) {
	t.Run("StoresRefuseNULAndInvalidUTF8", func(t *testing.T) {
		h := setup(t, newStore)
		conv := h.conversation()
		for _, tc := range []struct {
			name, field string
			write       func(tx driver.Tx) error
		}{
			{"message subject with NUL", "message.Subject", func(tx driver.Tx) error {
				m := newMessage(conv.ID, func(m *inbox.Message) { m.Subject = "Commande\x00123" })
				return tx.InsertMessage(&m)
			}},
			{"message text with invalid UTF-8", "message.Text", func(tx driver.Tx) error {
				m := newMessage(conv.ID, func(m *inbox.Message) { m.Text = "caf\xe9 cr\xe8me" })
				return tx.InsertMessage(&m)
			}},
			{"sender name with NUL", "message.From", func(tx driver.Tx) error {
				m := newMessage(conv.ID, func(m *inbox.Message) { m.From.Name = "Ada\x00" })
				return tx.InsertMessage(&m)
			}},
			{"conversation subject with NUL", "conversation.Subject", func(tx driver.Tx) error {
				c := newConversation(func(c *inbox.Conversation) { c.Subject = "\x00" })
				return tx.CreateConversation(&c)
			}},
			{"contact name with invalid UTF-8", "contact.", func(tx driver.Tx) error {
				c := inbox.Contact{Name: "Zo\xeb", Emails: []string{"zoe@example.com"}}
				return tx.CreateContact(&c)
			}},
			{"note with NUL", "note.", func(tx driver.Tx) error {
				n := inbox.Note{ConversationID: conv.ID, Author: "emp-1", Body: "call\x00back"}
				return tx.CreateNote(&n)
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h.update(func(tx driver.Tx) {
					err := tc.write(tx)
					require.ErrorIs(t, err, inbox.ErrInvalid)
					var fe *inbox.FieldError
					require.ErrorAs(t, err, &fe)
					require.True(t, strings.EqualFold(fe.Field[:min(len(fe.Field), len(tc.field))], tc.field), "field %q names %q", fe.Field, tc.field)
					// The transaction is still usable.
					m := newMessage(conv.ID)
					require.NoError(t, tx.InsertMessage(&m))
				})
			})
		}
		h.view(func(tx driver.Tx) {
			msgs, err := tx.ListMessages(conv.ID)
			require.NoError(t, err)
			require.Len(t, msgs, 6, "only the valid messages are stored")
			page, err := tx.ListContacts(inbox.ContactQuery{})
			require.NoError(t, err)
			require.Empty(t, page.Items)
		})
	})
	t.Run("EngineCleansInboundText", func(t *testing.T) {
		h := setup(t, newStore)
		h.update(func(tx driver.Tx) {
			require.NoError(t, tx.CreateIntegration(&inbox.Integration{ID: "mail", Kind: inbox.SourceEmail, Name: "Support"}))
		})
		cursor := "after-bad-mail"
		eng, err := inbox.New(inbox.Options{Store: h.store})
		require.NoError(t, err)
		t.Cleanup(func() { _ = eng.Close() })
		res, err := eng.IngestBatch(context.Background(), h.tenant, inbox.Batch{
			IntegrationID: "mail", Cursor: &cursor,
			Messages: []inbox.Inbound{{
				Source: inbox.SourceEmail, IntegrationID: "mail", ProviderID: "1", MessageID: "<nul@example.com>",
				From: inbox.Party{Name: "Zo\xeb \x00", Email: "zoe@example.com"}, Subject: "Commande\x00123",
				Text: "caf\xe9\x00", SentAt: t0,
			}},
		})
		require.NoError(t, err)
		require.Equal(t, inbox.IngestStored, res.Items[0].Status, res.Items[0].Reason)
		h.view(func(tx driver.Tx) {
			m, err := tx.GetMessage(res.Items[0].MessageID)
			require.NoError(t, err)
			require.Equal(t, "Commande\uFFFD123", m.Subject)
			require.Equal(t, "caf\uFFFD\uFFFD", m.Text)
			require.Equal(t, "Zo\uFFFD \uFFFD", m.From.Name)
			in, err := tx.GetIntegration("mail")
			require.NoError(t, err)
			require.Equal(t, cursor, in.Cursor, "the cursor moves past the message")
		})
	})
}
