package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// A conversation a batch creates is filed by the classifier's fast part
// inside the batch's transaction, from its opening customer message (again
// at the end of the batch when a message sent earlier arrived later in it):
// subscribers hear of it once, already filed (no separate "classified"
// update), the decision is audited, the fast part is not asked again
// after the commit, and the slow part still completes the decision.
func TestNewConversationIsFiledInItsIngestTransaction(t *testing.T) {
	var mu sync.Mutex
	var seen []string             // opening messages the fast part was shown
	c := &fastFilerSlowLabeller{} // for its folder
	inline := inbox.ClassifierFunc(func(_ context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
		mu.Lock()
		seen = append(seen, in.Message.ProviderID)
		if len(in.History) > 0 {
			seen = append(seen, fmt.Sprintf("history of %d", len(in.History)))
		}
		mu.Unlock()
		if in.Contact.ID == "" || in.Conversation.ID == "" {
			return inbox.Decision{}, errors.New("no contact or conversation in the input")
		}
		return inbox.Decision{FolderID: c.folder, By: "rules", Reason: "order", Pending: true}, nil
	})
	// The whole classifier confirms the fast part's filing: completing the
	// decision changes nothing an agent sees, so sends no event.
	whole := inbox.ClassifierFunc(func(context.Context, inbox.ClassifyInput) (inbox.Decision, error) {
		return inbox.Decision{FolderID: c.folder, By: "rules", Reason: "order"}, nil
	})
	e := newEnv(t, inbox.Options{Classifier: inlineOf{whole, inline}})
	c.folder = e.folder("Commandes", inbox.AutoReplyOff).ID
	var events []inbox.Event
	cancel := e.engine.Subscribe(func(ev inbox.Event) { mu.Lock(); events = append(events, ev); mu.Unlock() })
	defer cancel()

	// The batch holds the customer's follow-up before the message that
	// opened the conversation (text messages are threaded by sender): the
	// opening one, sent first, is classified.
	again := sms("s2", "+33612345678", "Alors ?")
	again.SentAt = e.clock.Now().Add(-time.Minute)
	first := sms("s1", "+33612345678", "Où est ma commande ?")
	first.SentAt = e.clock.Now().Add(-time.Hour)
	res := e.ingest(again, first)
	convID := res.Items[0].ConversationID
	require.Equal(t, convID, res.Items[1].ConversationID)
	conv := e.conversation(convID)
	require.Equal(t, c.folder, conv.FolderID, "filed at intake")
	require.True(t, conv.Classification.Pending)
	require.Equal(t, []string{"s2", "history of 1", "s1", "history of 2"}, seen,
		"decided at creation on the message that created it, then on the opening message once the batch brought it (with the whole history: the fast part does not say it needs less)")

	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(events) >= 3
	}, 5*time.Second, 5*time.Millisecond)
	mu.Lock()
	for _, ev := range events {
		require.NotEqual(t, inbox.EventConversationUpdated, ev.Type, "the conversation is announced filed, not updated after: %v", events)
	}
	mu.Unlock()
	audit, err := e.engine.Audit(e.ctx, tenantA, inbox.AuditQuery{ConversationID: convID})
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(audit, func(a inbox.AuditEntry) bool {
		return a.Action == "conversation.classified" && a.Actor == "classifier:rules"
	}), "the filing is audited")

	e.work()
	require.False(t, e.conversation(convID).Classification.Pending, "the whole classifier completes the decision")

	// A conversation created by one message is decided once and stored
	// once, as created.
	seen = nil
	res = e.ingest(sms("s9", "+33698765432", "Ma commande n'est pas arrivée"))
	require.Equal(t, []string{"s9", "history of 1"}, seen)
	other := e.conversation(res.Items[0].ConversationID)
	require.Equal(t, c.folder, other.FolderID)
	require.EqualValues(t, 1, other.Version, "created filed: no update after")

	// A reply in a later batch: the conversation is filed and complete.
	seen = nil
	e.ingest(sms("s3", "+33612345678", "Toujours rien"))
	require.Empty(t, seen, "a filed conversation is not classified again")
	require.Equal(t, c.folder, e.conversation(convID).FolderID)
}

// inlineOf is a DeferredClassifier made of a whole classifier and the
// fast part given.
type inlineOf struct {
	inbox.Classifier
	fast inbox.Classifier
}

func (c inlineOf) Inline() inbox.Classifier { return c.fast }
func (c inlineOf) NeedsHistory() bool       { return false }
