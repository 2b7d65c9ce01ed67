package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

func testSearch(t *testing.T, newStore NewStoreFunc) {
	h := setup(t, newStore)
	type fixture struct {
		subject string
		msgs    []inbox.Message
		status  inbox.Status
	}
	mail := func(from inbox.Party, subject, text string) inbox.Message {
		return newMessage("", func(m *inbox.Message) { m.From, m.Subject, m.Text = from, subject, text })
	}
	fixtures := map[string]fixture{
		"lamp": {subject: "Lampe cassée à la livraison", status: inbox.StatusOpen, msgs: []inbox.Message{
			mail(inbox.Party{Name: "Élodie Martin", Email: "elodie@example.fr"}, "Lampe cassée à la livraison", "Bonjour, j'ai un problème avec ma commande 4512."),
			mail(inbox.Party{Name: "Support", Email: "support@shop.example"}, "RE: Lampe cassée", "Nous renvoyons une nouvelle lampe."),
		}},
		"invoice": {subject: "Invoice question", status: inbox.StatusNew, msgs: []inbox.Message{
			mail(inbox.Party{Name: "Bob Stone", Email: "bob.stone@corp.example"}, "Invoice question", "Bonjour, the INVOICE total looks wrong."),
		}},
		"school": {subject: "Inscription", status: inbox.StatusSpam, msgs: []inbox.Message{
			mail(inbox.Party{Name: "Zoë Durand", Email: "zoe@ecole.example"}, "Inscription", "Bonjour ! L'ÉCOLE ouvre en septembre, merci d'avance."),
		}},
		"sms": {subject: "", status: inbox.StatusNew, msgs: []inbox.Message{
			{Source: inbox.SourceSMS, Direction: inbox.DirectionIn, From: inbox.Party{Phone: "33612345678"}, Text: "Rappelez-moi svp", SentAt: t0},
		}},
	}
	ids := map[string]string{}
	h.update(func(tx driver.Tx) {
		i := 0
		for name, f := range fixtures {
			i++
			c := newConversation(func(c *inbox.Conversation) {
				c.Subject, c.ThreadSubject, c.Status = f.subject, f.subject, f.status
				c.LastMessageAt = at(time.Duration(i) * time.Hour)
			})
			require.NoError(t, tx.CreateConversation(&c))
			ids[name] = c.ID
			for _, m := range f.msgs {
				m.ConversationID = c.ID
				require.NoError(t, tx.InsertMessage(&m))
			}
		}
	})
	h.addTenant("tenant-b")
	h.updateIn("tenant-b", func(tx driver.Tx) {
		c := newConversation(func(c *inbox.Conversation) { c.Subject = "Lampe cassée" })
		require.NoError(t, tx.CreateConversation(&c))
		m := newMessage(c.ID, func(m *inbox.Message) { m.Text = "problème invoice école" })
		require.NoError(t, tx.InsertMessage(&m))
	})

	for _, tc := range []struct {
		name, search string
		want         []string
	}{
		{"subject word", "livraison", []string{"lamp"}},
		{"subject word, other case", "LAMPE", []string{"lamp"}},
		{"message text word", "commande", []string{"lamp"}},
		{"text of a later message", "renvoyons", []string{"lamp"}},
		{"upper-case text, lower-case query", "invoice", []string{"invoice"}},
		{"accented text, plain query", "probleme", []string{"lamp"}},
		{"accented capitals, plain query", "ecole", []string{"school"}},
		{"accented query", "problème", []string{"lamp"}},
		{"sender name", "stone", []string{"invoice"}},
		{"sender name with accent", "zoe", []string{"school"}},
		{"sender email", "bob.stone@corp.example", []string{"invoice"}},
		{"sender phone", "33612345678", []string{"sms"}},
		{"two words of one message", "total wrong", []string{"invoice"}},
		{"word in several conversations", "bonjour", []string{"lamp", "invoice", "school"}},
		{"absent word", "parapluie", nil},
		{"one word absent", "invoice parapluie", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.view(func(tx driver.Tx) {
				page, err := tx.ListConversations(inbox.ConversationQuery{Search: tc.search, Sort: inbox.SortOldest})
				require.NoError(t, err)
				var want []string
				for _, name := range []string{"lamp", "invoice", "school", "sms"} {
					for _, w := range tc.want {
						if w == name {
							want = append(want, ids[name])
						}
					}
				}
				require.ElementsMatch(t, want, conversationIDs(page.Items), "search %q", tc.search)
			})
		})
	}
	t.Run("CombinedWithFiltersSortAndPages", func(t *testing.T) {
		h.view(func(tx driver.Tx) {
			page, err := tx.ListConversations(inbox.ConversationQuery{Search: "bonjour", Statuses: []inbox.Status{inbox.StatusOpen, inbox.StatusNew}})
			require.NoError(t, err)
			require.ElementsMatch(t, []string{ids["lamp"], ids["invoice"]}, conversationIDs(page.Items))

			var all []inbox.Conversation
			q := inbox.ConversationQuery{Search: "bonjour", Limit: 1, Sort: inbox.SortNewest}
			all = listAll(t, tx, q)
			require.Len(t, all, 3)
			for i := 1; i < len(all); i++ {
				require.Negative(t, modelCompare(inbox.SortNewest)(all[i-1], all[i]))
			}
		})
	})
	t.Run("FollowsMovesAndDeletes", func(t *testing.T) {
		h := setup(t, newStore)
		from, to := h.conversation(), h.conversation()
		m := h.message(from.ID, func(m *inbox.Message) { m.Text = "parapluie" })
		h.update(func(tx driver.Tx) { require.NoError(t, tx.MoveMessage(m.ID, to.ID)) })
		h.view(func(tx driver.Tx) {
			page, err := tx.ListConversations(inbox.ConversationQuery{Search: "parapluie"})
			require.NoError(t, err)
			require.Equal(t, []string{to.ID}, conversationIDs(page.Items))
		})
		h.update(func(tx driver.Tx) {
			moved, err := tx.GetMessage(m.ID)
			require.NoError(t, err)
			moved.Text = "parasol"
			require.NoError(t, tx.UpdateMessage(&moved))
		})
		h.view(func(tx driver.Tx) {
			page, err := tx.ListConversations(inbox.ConversationQuery{Search: "parapluie"})
			require.NoError(t, err)
			require.Empty(t, page.Items, "an edited text is searched as edited")
			page, err = tx.ListConversations(inbox.ConversationQuery{Search: "parasol"})
			require.NoError(t, err)
			require.Equal(t, []string{to.ID}, conversationIDs(page.Items))
		})
		h.update(func(tx driver.Tx) { require.NoError(t, tx.DeleteConversation(to.ID)) })
		h.view(func(tx driver.Tx) {
			page, err := tx.ListConversations(inbox.ConversationQuery{Search: "parasol"})
			require.NoError(t, err)
			require.Empty(t, page.Items)
		})
	})
}
