package inbox_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// fastFilerSlowLabeller files at intake and labels in the background, as
// classify.Chain does with a labeller wrapped in classify.Background.
type fastFilerSlowLabeller struct {
	folder      string
	full, quick atomic.Int32
}

func (c *fastFilerSlowLabeller) Classify(context.Context, inbox.ClassifyInput) (inbox.Decision, error) {
	c.full.Add(1)
	return inbox.Decision{FolderID: c.folder, Intent: inbox.IntentOrder, Urgency: inbox.UrgencyNormal, By: "rules", Reason: "order"}, nil
}

func (c *fastFilerSlowLabeller) NeedsHistory() bool { return false }

func (c *fastFilerSlowLabeller) Inline() inbox.Classifier {
	return inbox.ClassifierFunc(func(context.Context, inbox.ClassifyInput) (inbox.Decision, error) {
		c.quick.Add(1)
		return inbox.Decision{FolderID: c.folder, By: "rules", Reason: "order", Pending: true}, nil
	})
}

// A decision the fast part left pending is stored at once and completed
// in the background, even though the conversation is already filed; once
// complete, later messages classify nothing again.
func TestPendingDecisionIsCompletedInTheBackground(t *testing.T) {
	c := &fastFilerSlowLabeller{}
	e := newEnv(t, inbox.Options{Classifier: c})
	c.folder = e.folder("Commandes", inbox.AutoReplyOff).ID

	res := e.ingest(email("m1", "ada@example.com", "Commande", "Où est ma commande ?"))
	conv := e.conversation(res.Items[0].ConversationID)
	require.Equal(t, c.folder, conv.FolderID, "filed at intake")
	require.True(t, conv.Classification.Pending)
	require.Empty(t, conv.Intent, "the labels are not there yet")
	require.Zero(t, c.full.Load(), "the slow part is not on the intake path")

	e.work()
	conv = e.conversation(conv.ID)
	require.Equal(t, inbox.IntentOrder, conv.Intent, "the background run labels it")
	require.False(t, conv.Classification.Pending)
	require.Equal(t, c.folder, conv.FolderID)
	require.EqualValues(t, 1, c.full.Load())

	reply := email("m2", "ada@example.com", "Re: Commande", "Alors ?")
	reply.InReplyTo = "m1@mail.example"
	e.ingest(reply)
	e.work()
	require.EqualValues(t, 1, c.full.Load(), "a filed, complete conversation is not classified again")
}

// While messages arrive, the worker leaves classification for later and
// claims it once intake pauses; an explicit DoWork never waits.
func TestBackgroundClassificationYieldsToIntake(t *testing.T) {
	c := &fastFilerSlowLabeller{}
	e := newEnv(t, inbox.Options{Classifier: c})
	c.folder = e.folder("Commandes", inbox.AutoReplyOff).ID
	e.ingest(email("m1", "ada@example.com", "Commande", "Où est ma commande ?"))

	kinds, yielded, err := inbox.ClaimYielding(e.engine, e.ctx, tenantA, 8)
	require.NoError(t, err)
	require.True(t, yielded, "intake just ran")
	require.Empty(t, kinds)

	inbox.SettleIntake(e.engine)
	kinds, yielded, err = inbox.ClaimYielding(e.engine, e.ctx, tenantA, 8)
	require.NoError(t, err)
	require.False(t, yielded)
	require.Equal(t, []string{inbox.WorkClassify}, kinds, "claimed once intake paused")
}

// Work of other kinds is claimed while classification yields, even when
// more classification items than the worker's slots are due ahead of it:
// an auto-reply waits on the network, not the CPU. A new conversation's
// auto-reply follows its background filing.
func TestOtherWorkRunsWhileClassificationYields(t *testing.T) {
	c := &fastFilerSlowLabeller{}
	responder := &fakeResponder{text: "Bien reçu"}
	e := newEnv(t, inbox.Options{Classifier: c, Responder: responder})
	tn, err := e.store.GetTenant(e.ctx, tenantA)
	require.NoError(t, err)
	tn.Settings.ReplyPrompt = "Tu es le support de Maison Lumière."
	require.NoError(t, e.store.UpdateTenant(e.ctx, &tn))
	c.folder = e.folder("Commandes", inbox.AutoReplyApproval).ID
	integ := e.integration(inbox.SourceEmail, map[string]string{"address": "support@maison-lumiere.example"})
	mail := func(id, from, subject, text, inReplyTo string) inbox.Inbound {
		m := email(id, from+"@courriel.example", subject, text)
		m.IntegrationID, m.SentAt, m.InReplyTo = integ.ID, e.clock.Now(), inReplyTo
		return m
	}
	for _, from := range []string{"a", "b"} {
		e.ingest(mail("m-"+from, from, "Commande", "Où est ma commande ?", ""))
	}
	e.work()
	require.Equal(t, 2, responder.generations(), "filed in the background, then answered")

	var batch []inbox.Inbound
	for _, from := range []string{"c", "d", "e"} {
		batch = append(batch, mail("m-"+from, from, "Commande", "Où est ma commande ?", ""))
	}
	for _, from := range []string{"a", "b"} {
		batch = append(batch, mail("m2-"+from, from, "Re: Commande", "Alors ?", "m-"+from+"@mail.example"))
	}
	e.ingest(batch...)
	kinds, yielded, err := inbox.ClaimYielding(e.engine, e.ctx, tenantA, 2)
	require.NoError(t, err)
	require.True(t, yielded)
	require.Equal(t, []string{inbox.WorkAutoReply, inbox.WorkAutoReply}, kinds, "the filed conversations' answers do not wait")
}
