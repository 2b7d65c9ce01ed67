package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// testSearchNotes checks that a conversation is found by words only one
// of its internal notes holds, with the rules of message search: folded
// words, all of a query's words in one note, word*, no sender (from:
// never matches a note), with filters, totals and sort:relevance, and
// gone with the conversation.
func testSearchNotes(t *testing.T, newStore NewStoreFunc) {
	h := setup(t, newStore)
	lamp := h.conversation(func(c *inbox.Conversation) {
		c.Subject, c.Status, c.Unread, c.LastMessageAt = "Lampe cassée", inbox.StatusOpen, 1, at(2*time.Hour)
	})
	h.message(lamp.ID, func(m *inbox.Message) { m.Subject, m.Text = "Lampe cassée", "Le colis est arrivé abîmé." })
	invoice := h.conversation(func(c *inbox.Conversation) {
		c.Subject, c.Status, c.LastMessageAt = "Facture", inbox.StatusResolved, at(time.Hour)
	})
	h.message(invoice.ID, func(m *inbox.Message) { m.Text = "Merci pour la facture." })
	note := func(convID, author, body string) {
		h.update(func(tx driver.Tx) {
			n := inbox.Note{ConversationID: convID, Author: author, Body: body, CreatedAt: at(3 * time.Hour)}
			require.NoError(t, tx.CreateNote(&n))
		})
	}
	note(lamp.ID, "ana", "Geste commercial accordé : REMBOURSEMENT intégral, voir avec l'entrepôt.")
	note(invoice.ID, "bob", "Client fidèle depuis 2019.")
	note(invoice.ID, "bob", "Relancer la comptabilité.")
	h.addTenant("tenant-b")
	h.updateIn("tenant-b", func(tx driver.Tx) {
		c := newConversation()
		require.NoError(t, tx.CreateConversation(&c))
		n := inbox.Note{ConversationID: c.ID, Author: "ana", Body: "remboursement entrepôt fidèle"}
		require.NoError(t, tx.CreateNote(&n))
	})

	for _, tc := range []struct {
		name, search string
		query        inbox.ConversationQuery
		want         []string
	}{
		{name: "a word only a note holds", search: "remboursement", want: []string{lamp.ID}},
		{name: "accents and case folded", search: "ACCORDE entrepot", want: []string{lamp.ID}},
		{name: "a quoted phrase of a note", search: `"geste commercial"`, want: []string{lamp.ID}},
		{name: "a word beginning", search: "rembours*", want: []string{lamp.ID}},
		{name: "the second note", search: "comptabilite", want: []string{invoice.ID}},
		{name: "words of two notes do not combine", search: "fidele comptabilite", want: nil},
		{name: "a note and a message do not combine", search: "remboursement colis", want: nil},
		{name: "a note has no sender", search: "from:remboursement", want: nil},
		{name: "nor is its author a sender", search: "from:ana", want: nil},
		{name: "with a status filter", search: "remboursement", query: inbox.ConversationQuery{Statuses: []inbox.Status{inbox.StatusResolved}}, want: nil},
		{name: "with operators", search: "fidele status:resolved", want: []string{invoice.ID}},
		{name: "with is:unread", search: "remboursement is:unread", want: []string{lamp.ID}},
		{name: "sort:relevance", search: "remboursement sort:relevance", want: []string{lamp.ID}},
		{name: "messages are still found", search: "abime", want: []string{lamp.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.view(func(tx driver.Tx) {
				q := tc.query
				q.Search, q.WithTotal = tc.search, true
				page, err := tx.ListConversations(q)
				require.NoError(t, err)
				require.ElementsMatch(t, tc.want, conversationIDs(page.Items), "search %q", tc.search)
				require.Equal(t, len(tc.want), page.Total, "total of %q", tc.search)
			})
		})
	}

	// A conversation found by a note shows that note in the results, with
	// the words marked; a message holding the words comes first.
	t.Run("SnippetFromTheNote", func(t *testing.T) {
		eng, err := inbox.New(inbox.Options{Store: h.store})
		require.NoError(t, err)
		t.Cleanup(func() { _ = eng.Close() })
		const body = "Geste commercial accordé : REMBOURSEMENT intégral, voir avec l'entrepôt."
		for _, tc := range []struct {
			search, conv, in, text string
			marks                  []inbox.Span
		}{
			{"remboursement", lamp.ID, "note", body, []inbox.Span{{Start: 27, End: 40}}},
			{"ACCORDE entrepot", lamp.ID, "note", body, []inbox.Span{{Start: 17, End: 24}, {Start: 63, End: 71}}},
			{"rembours* status:open", lamp.ID, "note", body, []inbox.Span{{Start: 27, End: 40}}},
			{"comptabilite", invoice.ID, "note", "Relancer la comptabilité.", []inbox.Span{{Start: 12, End: 24}}},
			{"abime", lamp.ID, "message", "Le colis est arrivé abîmé.", []inbox.Span{{Start: 20, End: 25}}},
		} {
			page, err := eng.Conversations(h.ctx, h.tenant, inbox.ConversationQuery{Search: tc.search})
			require.NoError(t, err, tc.search)
			require.Equal(t, []string{tc.conv}, conversationIDs(page.Items), tc.search)
			snips, err := eng.Snippets(h.ctx, h.tenant, tc.search, conversationIDs(page.Items))
			require.NoError(t, err, tc.search)
			s := snips[tc.conv]
			require.Equal(t, tc.in, s.In, tc.search)
			require.Equal(t, tc.text, s.Text, tc.search)
			require.Equal(t, tc.marks, s.Highlights, tc.search)
			if tc.in == "note" {
				require.NotEmpty(t, s.NoteID, tc.search)
			}
		}
	})

	t.Run("GoneWithTheConversation", func(t *testing.T) {
		h.update(func(tx driver.Tx) { require.NoError(t, tx.DeleteConversation(lamp.ID)) })
		h.view(func(tx driver.Tx) {
			page, err := tx.ListConversations(inbox.ConversationQuery{Search: "remboursement"})
			require.NoError(t, err)
			require.Empty(t, page.Items)
		})
		// A later note with the same words is found.
		c := h.conversation()
		note(c.ID, "ana", "Remboursement fait.")
		h.view(func(tx driver.Tx) {
			page, err := tx.ListConversations(inbox.ConversationQuery{Search: "remboursement"})
			require.NoError(t, err)
			require.Equal(t, []string{c.ID}, conversationIDs(page.Items))
		})
	})
}
