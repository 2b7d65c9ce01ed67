package inbox_test

import (
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/internal/corpus"
)

// TestManifestThreadGroups ingests the corpus, described by its manifest,
// in date order and checks that the conversations formed are exactly the
// manifest's thread groups: every group joined, no two groups merged.
func TestManifestThreadGroups(t *testing.T) {
	_, cases := corpus.Manifest(t)
	e := newEnv(t, inbox.Options{})

	type item struct {
		c  corpus.Case
		at time.Time
	}
	var items []item
	rootSender := map[string]string{} // thread -> customer address
	for _, c := range cases {
		if c.Generated {
			continue
		}
		at, _ := time.Parse(time.RFC3339, c.String("date"))
		items = append(items, item{c, at})
		if c.Expect["own_message"] != true && rootSender[c.Thread] == "" {
			rootSender[c.Thread] = c.String("from")
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].at.Before(items[j].at) })

	convOf := map[string]string{} // file -> conversation
	for _, it := range items {
		c := it.c
		in := inbox.Inbound{
			IntegrationID: "mbox", Source: inbox.SourceEmail, ProviderID: c.File,
			MessageID: c.String("message_id"), InReplyTo: c.String("in_reply_to"), References: c.Strings("references"),
			ThreadIndex: c.String("thread_index"), From: inbox.Party{Email: c.String("from")},
			Subject: c.String("subject"), Text: c.String("text_contains"), SentAt: it.at,
			Automated: c.Automated, Newsletter: c.Newsletter, Bounce: c.Bounce,
		}
		if c.Expect["own_message"] == true {
			in.Own = true
			in.To = []inbox.Party{{Email: rootSender[c.Thread]}}
		}
		res := e.ingest(in)
		require.Equal(t, inbox.IngestStored, res.Items[0].Status, "%s: %s", c.File, res.Items[0].Reason)
		convOf[c.File] = res.Items[0].ConversationID
		t.Logf("%-48s %-12s %s", c.File, c.String("join_by"), res.Items[0].Reason)
	}

	byThread := map[string]string{}
	byConv := map[string]string{}
	for _, it := range items {
		file, thread, conv := it.c.File, it.c.Thread, convOf[it.c.File]
		if want, ok := byThread[thread]; ok {
			require.Equal(t, want, conv, "%s should join thread %s", file, thread)
		} else {
			byThread[thread] = conv
		}
		if other, ok := byConv[conv]; ok {
			require.Equal(t, other, thread, "%s (thread %s) was merged into thread %s", file, thread, other)
		} else {
			byConv[conv] = thread
		}
	}
}

func TestEmailThreadingRules(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	root := email("root", "elodie@gmail.example", "Retour d'un article abîmé", "Bonjour")
	r := e.ingest(root).Items[0]

	// our own reply, synced from Sent, joins as an agent message
	own := email("own", "support@maison-lumiere.example", "Re: Retour d'un article abîmé", "Voici l'étiquette")
	own.Own, own.InReplyTo, own.To = true, root.MessageID, []inbox.Party{{Email: "elodie@gmail.example"}}
	o := e.ingest(own).Items[0]
	require.Equal(t, r.ConversationID, o.ConversationID)
	msgs := e.messages(r.ConversationID)
	require.Equal(t, inbox.AuthorAgent, msgs[1].Author)
	require.Equal(t, inbox.DirectionOut, msgs[1].Direction)
	require.False(t, e.conversation(r.ConversationID).LastHumanReplyAt.IsZero())

	// a reply with only References to our message joins
	ref := email("ref", "elodie@gmail.example", "Re: Retour d'un article abîmé", "Merci")
	ref.References = []string{root.MessageID, own.MessageID}
	require.Equal(t, r.ConversationID, e.ingest(ref).Items[0].ConversationID)

	// an out-of-office answering our reply stays apart from the customer thread
	ooo := email("ooo", "elodie@gmail.example", "Absence du bureau", "Je suis absente")
	ooo.InReplyTo, ooo.Automated, ooo.AutomatedReason = own.MessageID, true, "auto-submitted"
	oi := e.ingest(ooo).Items[0]
	require.NotEqual(t, r.ConversationID, oi.ConversationID)
	require.Contains(t, oi.Reason, "automated")

	// same generic subject from two customers: never merged
	q1 := e.ingest(email("q1", "marc@x.example", "Question", "a")).Items[0]
	q2 := e.ingest(email("q2", "lucy@y.example", "Question", "b")).Items[0]
	require.NotEqual(t, q1.ConversationID, q2.ConversationID)
	// and the same customer's generic subject does not fall back either
	q3 := e.ingest(email("q3", "marc@x.example", "Question", "c")).Items[0]
	require.NotEqual(t, q1.ConversationID, q3.ConversationID)

	// subject fallback: same sender, same specific subject, recent
	fb := email("fb", "elodie@gmail.example", "RE: Retour d'un article abîmé", "Encore moi")
	fb.SentAt = e.clock.Now()
	require.Equal(t, r.ConversationID, e.ingest(fb).Items[0].ConversationID)
	// but not another sender with the same subject
	other := email("other", "someone@else.example", "Retour d'un article abîmé", "Moi aussi")
	require.NotEqual(t, r.ConversationID, e.ingest(other).Items[0].ConversationID)

	// a reply to an archived conversation starts a new one
	_, err := e.engine.SetStatus(e.ctx, tenantA, r.ConversationID, inbox.StatusArchived, inbox.Change{Actor: "agent-1"})
	require.NoError(t, err)
	late := email("late", "elodie@gmail.example", "Re: Retour", "Bonjour de nouveau")
	late.InReplyTo = own.MessageID
	li := e.ingest(late).Items[0]
	require.NotEqual(t, r.ConversationID, li.ConversationID)
	require.Contains(t, li.Reason, "archived")
}

func TestPhoneThreadingReopensWithinWindow(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	first := e.ingest(sms("s1", "+33 6 12 34 56 78", "Mon compte ne fonctionne pas")).Items[0]
	// same number written differently: same contact, same conversation
	second := e.ingest(sms("s2", "0033612345678", "Toujours bloqué")).Items[0]
	require.Equal(t, first.ConversationID, second.ConversationID)

	// WhatsApp from the same number is another channel: another conversation
	wa := sms("w1", "+33612345678", "Bonjour")
	wa.Source, wa.IntegrationID = inbox.SourceWhatsApp, "wa"
	require.NotEqual(t, first.ConversationID, e.ingest(wa).Items[0].ConversationID)

	// resolved, then the customer writes again within the window: reopened
	_, err := e.engine.SetStatus(e.ctx, tenantA, first.ConversationID, inbox.StatusResolved, inbox.Change{Actor: "agent-1"})
	require.NoError(t, err)
	e.clock.Advance(24 * time.Hour)
	third := sms("s3", "+33612345678", "Ça recommence")
	third.SentAt = e.clock.Now()
	ti := e.ingest(third).Items[0]
	require.Equal(t, first.ConversationID, ti.ConversationID)
	require.Equal(t, inbox.StatusOpen, e.conversation(first.ConversationID).Status)

	// resolved long ago: a new conversation
	_, err = e.engine.SetStatus(e.ctx, tenantA, first.ConversationID, inbox.StatusResolved, inbox.Change{Actor: "agent-1"})
	require.NoError(t, err)
	e.clock.Advance(30 * 24 * time.Hour)
	fourth := sms("s4", "+33612345678", "Nouvelle question")
	fourth.SentAt = e.clock.Now()
	fi := e.ingest(fourth).Items[0]
	require.NotEqual(t, first.ConversationID, fi.ConversationID)
	require.True(t, fi.NewConversation)
}

func TestWebhookThreadKey(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	a := inbox.Inbound{IntegrationID: "hook", Source: inbox.SourceWebhook, ProviderID: "e1", ThreadKey: "ticket-9", From: inbox.Party{ID: "u1", Name: "Ada"}, Text: "one"}
	b := a
	b.ProviderID, b.Text = "e2", "two"
	c := a
	c.ProviderID, c.ThreadKey = "e3", "ticket-10"
	res := e.ingest(a, b, c)
	require.Equal(t, res.Items[0].ConversationID, res.Items[1].ConversationID)
	require.NotEqual(t, res.Items[0].ConversationID, res.Items[2].ConversationID)
}

func TestNormalizeSubject(t *testing.T) {
	for in, want := range map[string]string{
		"Re: Retour":                      "Retour",
		"RE: TR: Fwd: Retour":             "Retour",
		"AW: Wrong size":                  "Wrong size",
		"Réf. : Devis":                    "Devis",
		"Re[2]: Devis":                    "Devis",
		"SV:VS: Hej":                      "Hej",
		"tr : commande":                   "commande",
		"[luminaires-pros] Re: Catalogue": "[luminaires-pros] Re: Catalogue",
		"Rendez-vous":                     "Rendez-vous",
		"RDV: demain":                     "RDV: demain",
	} {
		require.Equal(t, want, inbox.NormalizeSubject(in), in)
	}
	require.True(t, inbox.IsGenericSubject("Question"))
	require.True(t, inbox.IsGenericSubject("bonjour !"))
	require.False(t, inbox.IsGenericSubject("Retour d'un article abîmé"))
}
