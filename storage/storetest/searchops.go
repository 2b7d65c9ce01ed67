package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// testSearchOperators runs every operator of inbox.ParseSearch, alone and
// combined with words and with the query's own filters. Every store must
// give the same answer: a host's tests on one store predict another.
func testSearchOperators(t *testing.T, newStore NewStoreFunc) {
	h := setup(t, newStore)
	var sales, claims inbox.Folder
	h.update(func(tx driver.Tx) {
		sales = inbox.Folder{Name: "Ventes"}
		claims = inbox.Folder{Name: "Réclamations"}
		require.NoError(t, tx.CreateFolder(&sales))
		require.NoError(t, tx.CreateFolder(&claims))
	})
	type msg struct {
		from        inbox.Party
		subject     string
		text        string
		attachment  bool
		source      inbox.Source
		conversSubj string
	}
	type fixture struct {
		folder string
		status inbox.Status
		source inbox.Source
		unread int
		at     time.Duration
		msgs   []msg
	}
	bob := inbox.Party{Name: "Bob Stone", Email: "bob.stone@corp.example"}
	ada := inbox.Party{Name: "Ada Lovelace", Email: "ada@example.com"}
	fixtures := map[string]fixture{
		"invoice": {folder: sales.ID, status: inbox.StatusOpen, source: inbox.SourceEmail, unread: 1, at: 1 * time.Hour, msgs: []msg{
			{from: bob, subject: "Invoice 4711", text: "The invoice total looks wrong.", attachment: true},
		}},
		"claim": {folder: claims.ID, status: inbox.StatusUrgent, source: inbox.SourceEmail, at: 2 * time.Hour, msgs: []msg{
			{from: ada, subject: "Colis abîmé", text: "Mon colis est arrivé cassé, je veux un remboursement."},
			{from: bob, subject: "RE: Colis abîmé", text: "Forwarding the invoice for the broken parcel."},
		}},
		"unfiled": {status: inbox.StatusNew, source: inbox.SourceEmail, unread: 2, at: 3 * time.Hour, msgs: []msg{
			{from: ada, subject: "Question", text: "Do you ship invoices by post?"},
		}},
		"sms": {status: inbox.StatusResolved, source: inbox.SourceSMS, at: 26 * time.Hour, msgs: []msg{
			{from: inbox.Party{Phone: "+33612345678"}, text: "Rappelez-moi au sujet de la facture svp", source: inbox.SourceSMS},
		}},
	}
	names := []string{"invoice", "claim", "unfiled", "sms"}
	ids := map[string]string{}
	h.update(func(tx driver.Tx) {
		for _, name := range names {
			f := fixtures[name]
			c := newConversation(func(c *inbox.Conversation) {
				c.FolderID, c.Status, c.Source, c.Unread = f.folder, f.status, f.source, f.unread
				c.Subject, c.ThreadSubject = f.msgs[0].subject, f.msgs[0].subject
				c.LastMessageAt = at(f.at)
			})
			require.NoError(t, tx.CreateConversation(&c))
			ids[name] = c.ID
			for i, m := range f.msgs {
				stored := newMessage(c.ID, func(s *inbox.Message) {
					s.From, s.Subject, s.Text, s.SentAt = m.from, m.subject, m.text, at(f.at+time.Duration(i)*time.Minute)
					if m.source != "" {
						s.Source = m.source
					}
					if m.attachment {
						s.Attachments = []inbox.Attachment{{Filename: "facture.pdf", ContentType: "application/pdf", Size: 10, BlobKey: "k/" + inbox.NewID()}}
					}
				})
				require.NoError(t, tx.InsertMessage(&stored))
			}
		}
	})
	day := t0.UTC().Format(time.DateOnly)
	nextDay := t0.UTC().Add(24 * time.Hour).Format(time.DateOnly)
	for _, tc := range []struct {
		search string
		query  inbox.ConversationQuery
		want   []string
	}{
		{search: "invoice", want: []string{"invoice", "claim"}}, // "invoices" is another word
		{search: "invoic*", want: []string{"invoice", "claim", "unfiled"}},
		{search: "invoices", want: []string{"unfiled"}},
		{search: "INVOICE total", want: []string{"invoice"}},
		{search: "invoice remboursement", want: nil}, // two messages, no one holds both
		{search: `"total invoice"`, want: []string{"invoice"}},
		{search: "colis abime", want: []string{"claim"}},
		{search: "from:bob", want: []string{"invoice", "claim"}},
		{search: "from:BOB.stone@corp.example", want: []string{"invoice", "claim"}},
		{search: `from:"corp stone"`, want: nil}, // a sender's words in order
		{search: "from:sto*", want: []string{"invoice", "claim"}},
		{search: "from:ada invoic*", want: []string{"unfiled"}}, // one message from ada holds the word
		{search: "from:+33612345678", want: []string{"sms"}},
		{search: "from:invoice", want: nil},
		{search: "folder:ventes", want: []string{"invoice"}},
		{search: "folder:RECLAMATIONS", want: []string{"claim"}},
		{search: `folder:"Réclamations" invoice`, want: []string{"claim"}},
		{search: "folder:" + sales.ID, want: []string{"invoice"}},
		{search: "folder:none", want: []string{"unfiled", "sms"}},
		{search: "folder:none invoic*", want: []string{"unfiled"}},
		{search: "folder:nosuchfolder", want: nil},
		{search: "folder:ventes folder:none", want: nil},
		{search: "status:urgent", want: []string{"claim"}},
		{search: "status:open status:new", want: []string{"invoice", "unfiled"}}, // either status
		{search: "status:resolved facture", want: []string{"sms"}},
		{search: "source:sms", want: []string{"sms"}},
		{search: "source:email invoice", want: []string{"invoice", "claim"}},
		{search: "has:attachment", want: []string{"invoice"}},
		{search: "has:attachments invoice", want: []string{"invoice"}},
		{search: "is:unread", want: []string{"invoice", "unfiled"}},
		{search: "invoic* is:unread", want: []string{"invoice", "unfiled"}},
		{search: "after:" + nextDay, want: []string{"sms"}},
		{search: "before:" + nextDay, want: []string{"invoice", "claim", "unfiled"}},
		{search: "after:" + day + " before:" + nextDay + " is:unread", want: []string{"invoice", "unfiled"}},
		{search: "after:" + at(2*time.Hour).Format(time.RFC3339Nano), want: []string{"claim", "unfiled", "sms"}},
		{search: "invoic* sort:relevance", want: []string{"invoice", "claim", "unfiled"}},
		{search: "10:30", want: nil},
		// Operators combine with the query's own filters.
		{search: "invoice", query: inbox.ConversationQuery{Statuses: []inbox.Status{inbox.StatusUrgent}}, want: []string{"claim"}},
		{search: "status:urgent", query: inbox.ConversationQuery{Statuses: []inbox.Status{inbox.StatusOpen}}, want: nil},
		{search: "folder:ventes", query: inbox.ConversationQuery{FolderID: inbox.Unfiled}, want: nil},
		{search: "is:unread", query: inbox.ConversationQuery{Sources: []inbox.Source{inbox.SourceEmail}}, want: []string{"invoice", "unfiled"}},
		{search: "after:" + day, query: inbox.ConversationQuery{Until: at(2 * time.Hour)}, want: []string{"invoice"}},
	} {
		t.Run(tc.search, func(t *testing.T) {
			q := tc.query
			q.Search = tc.search
			var got []inbox.Conversation
			h.view(func(tx driver.Tx) { got = listAll(t, tx, q) })
			var want []string
			for _, name := range names {
				if slices.Contains(tc.want, name) {
					want = append(want, ids[name])
				}
			}
			require.ElementsMatch(t, want, conversationIDs(got), "search %q", tc.search)
		})
	}
	t.Run("RelevancePages", func(t *testing.T) {
		h.view(func(tx driver.Tx) {
			all := listAll(t, tx, inbox.ConversationQuery{Search: "invoic* sort:relevance", Limit: 1})
			require.Len(t, all, 3, "pages of a ranked search cover each match once")
			require.ElementsMatch(t, []string{ids["invoice"], ids["claim"], ids["unfiled"]}, conversationIDs(all))
		})
	})
	t.Run("Refused", func(t *testing.T) {
		for _, q := range []string{"status:done", "source:f@x", "has:pdf", "is:starred", "after:yesterday", "sort:random", `folder:""`, "\xff"} {
			h.view(func(tx driver.Tx) {
				_, err := tx.ListConversations(inbox.ConversationQuery{Search: q})
				require.ErrorIs(t, err, inbox.ErrInvalid, fmt.Sprintf("%q", q))
			})
		}
	})
}

// testTotals checks ConversationPage.Total: the same on every page,
// with filters, search words and operators, exact for small lists.
func testTotals(t *testing.T, newStore NewStoreFunc) {
	h := setup(t, newStore)
	h.update(func(tx driver.Tx) {
		for i := range 7 {
			c := newConversation(func(c *inbox.Conversation) {
				c.LastMessageAt = at(time.Duration(i) * time.Minute)
				if i%2 == 0 {
					c.Status = inbox.StatusOpen
				}
			})
			require.NoError(t, tx.CreateConversation(&c))
			m := newMessage(c.ID, func(m *inbox.Message) {
				m.Text = "parapluie"
				if i < 3 {
					m.Text = "parasol rouge"
				}
			})
			require.NoError(t, tx.InsertMessage(&m))
		}
	})
	for _, tc := range []struct {
		q    inbox.ConversationQuery
		want int
	}{
		{inbox.ConversationQuery{}, 7},
		{inbox.ConversationQuery{Statuses: []inbox.Status{inbox.StatusOpen}}, 4},
		{inbox.ConversationQuery{Search: "parasol"}, 3},
		{inbox.ConversationQuery{Search: "parasol status:open"}, 2},
		{inbox.ConversationQuery{Search: "parasol sort:relevance"}, 3},
		{inbox.ConversationQuery{Search: "nothing"}, 0},
	} {
		h.view(func(tx driver.Tx) {
			q := tc.q
			q.WithTotal, q.Limit = true, 2
			for page := 0; ; page++ {
				p, err := tx.ListConversations(q)
				require.NoError(t, err)
				require.Equal(t, tc.want, p.Total, "%+v page %d", tc.q, page)
				require.True(t, p.TotalExact, "%+v", tc.q)
				if p.NextCursor == "" {
					break
				}
				q.Cursor = p.NextCursor
			}
			q.WithTotal, q.Cursor = false, ""
			p, err := tx.ListConversations(q)
			require.NoError(t, err)
			require.Zero(t, p.Total, "no total unless asked")
		})
	}
}
