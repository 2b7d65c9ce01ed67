package inbox_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// slowClassifier stands for a model: the engine must never wait for it
// on the intake path. It files everything in one folder.
type slowClassifier struct {
	folder string
	calls  atomic.Int32
	block  chan struct{} // nil: answers at once
}

func (c *slowClassifier) Classify(ctx context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
	c.calls.Add(1)
	if c.block != nil {
		select {
		case <-c.block:
		case <-ctx.Done():
			return inbox.Decision{}, ctx.Err()
		}
	}
	return inbox.Decision{FolderID: c.folder, By: "model", Reason: "looks like an order"}, nil
}

// Inline: nothing of it is fast.
func (c *slowClassifier) Inline() inbox.Classifier { return nil }

func TestSlowClassificationIsBackgroundWork(t *testing.T) {
	slow := &slowClassifier{block: make(chan struct{})}
	e := newEnv(t, inbox.Options{Classifier: slow})
	slow.folder = e.folder("Commandes", inbox.AutoReplyOff).ID

	// Intake answers without the model.
	res := e.ingest(email("m1", "ada@example.com", "Commande", "Où est ma commande ?"))
	require.Zero(t, slow.calls.Load(), "the model is not called on the intake path")
	conv := res.Items[0].ConversationID
	require.Empty(t, e.conversation(conv).FolderID)

	// The work is durable: it is in the store, and the worker files it.
	var pending []inbox.WorkItem
	e.update(func(tx driver.Tx) error {
		var err error
		pending, err = tx.ListWork(inbox.WorkQuery{Kind: inbox.WorkClassify})
		return err
	})
	require.Len(t, pending, 1)
	require.Equal(t, conv, pending[0].Key)
	close(slow.block)
	e.work()
	require.Equal(t, slow.folder, e.conversation(conv).FolderID)
	e.update(func(tx driver.Tx) error {
		var err error
		pending, err = tx.ListWork(inbox.WorkQuery{})
		return err
	})
	require.Empty(t, pending, "done work is gone")
}

// Background filing never refuses an agent's action: an agent who loaded
// the conversation before the model filed it acts on it as loaded. Only a
// change they must see (another agent, a new message) is a conflict.
func TestBackgroundFilingNeverConflictsWithAgents(t *testing.T) {
	slow := &slowClassifier{}
	e := newEnv(t, inbox.Options{Classifier: slow})
	slow.folder = e.folder("Commandes", inbox.AutoReplyOff).ID
	res := e.ingest(email("m1", "ada@example.com", "Commande", "Où est ma commande ?"))
	loaded := e.conversation(res.Items[0].ConversationID) // what the agent's screen shows

	e.work() // the model files it meanwhile
	filed := e.conversation(loaded.ID)
	require.Equal(t, slow.folder, filed.FolderID)
	require.Greater(t, filed.Version, loaded.Version)

	c, err := e.engine.SetStatus(e.ctx, tenantA, loaded.ID, inbox.StatusOpen, inbox.Change{Actor: "agent-1", Version: loaded.Version})
	require.NoError(t, err, "background filing is not a conflict")
	require.Equal(t, slow.folder, c.FolderID, "and it is kept")

	_, err = e.engine.Assign(e.ctx, tenantA, loaded.ID, "agent-2", inbox.Change{Actor: "agent-2", Version: loaded.Version})
	require.ErrorIs(t, err, inbox.ErrConflict, "another agent's change is one")

	current := e.conversation(loaded.ID)
	e.ingest(func() inbox.Inbound {
		m := email("m2", "ada@example.com", "Re: Commande", "Alors ?")
		m.InReplyTo = "m1@mail.example"
		return m
	}())
	_, err = e.engine.SetStatus(e.ctx, tenantA, loaded.ID, inbox.StatusResolved, inbox.Change{Actor: "agent-1", Version: current.Version})
	require.ErrorIs(t, err, inbox.ErrConflict, "a new message is one")
}

// Re-filing an idle inbox changes nothing: no version bump, no audit entry.
func TestIdleSyncsWriteNothing(t *testing.T) {
	folders := 0
	mb := &fakeMailbox{msgs: []inbox.Inbound{email("u1", "a@x.example", "Bonjour", "x")}}
	e := newEnv(t, inbox.Options{
		Classifier: inbox.ClassifierFunc(func(context.Context, inbox.ClassifyInput) (inbox.Decision, error) {
			folders++
			return inbox.Decision{Reason: "no rule matches"}, nil // abstains: the conversation stays unfiled
		}),
		Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: mb.factory()},
	})
	integ := e.integration(inbox.SourceEmail, nil)
	mb.msgs[0].IntegrationID = integ.ID
	_, err := e.engine.Sync(e.ctx, tenantA, integ.ID)
	require.NoError(t, err)
	page, err := e.engine.Conversations(e.ctx, tenantA, inbox.ConversationQuery{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	before := page.Items[0]
	audit, err := e.engine.Audit(e.ctx, tenantA, inbox.AuditQuery{Limit: 1000})
	require.NoError(t, err)

	for range 10 {
		_, err := e.engine.Sync(e.ctx, tenantA, integ.ID)
		require.NoError(t, err)
		e.work()
	}
	after := e.conversation(before.ID)
	require.Equal(t, before.Version, after.Version, "no version bump")
	again, err := e.engine.Audit(e.ctx, tenantA, inbox.AuditQuery{Limit: 1000})
	require.NoError(t, err)
	require.Len(t, again, len(audit), "no audit entry")
}

// openingRules reads only the opening message (like folder rules) and
// matches nothing.
type openingRules struct{ calls atomic.Int32 }

func (r *openingRules) Classify(context.Context, inbox.ClassifyInput) (inbox.Decision, error) {
	r.calls.Add(1)
	return inbox.Decision{}, nil
}
func (r *openingRules) NeedsHistory() bool { return false }

// A conversation no rule files is not classified again at each message:
// the answer cannot change until the folders do.
func TestUnfiledConversationsAreNotReclassifiedAtEveryMessage(t *testing.T) {
	rules := &openingRules{}
	e := newEnv(t, inbox.Options{Classifier: rules})
	first := e.ingest(email("m1", "ada@example.com", "Bonjour", "Une question"))
	for i := range 30 {
		m := email(fmt.Sprint("r", i), "ada@example.com", "Re: Bonjour", "Encore une précision")
		m.InReplyTo = "m1@mail.example"
		e.ingest(m)
	}
	require.EqualValues(t, 1, rules.calls.Load(), "one classification for 31 messages")
	conv := e.conversation(first.Items[0].ConversationID)
	require.Equal(t, 31, conv.MessageCount)

	// A folder change is a reason to ask again.
	e.clock.Advance(time.Minute)
	_, err := e.engine.SaveFolder(e.ctx, tenantA, inbox.Folder{Name: "Questions"}, inbox.Change{Actor: "admin"})
	require.NoError(t, err)
	m := email("r-after", "ada@example.com", "Re: Bonjour", "Et maintenant ?")
	m.InReplyTo = "m1@mail.example"
	e.clock.Advance(time.Minute)
	e.ingest(m)
	require.EqualValues(t, 2, rules.calls.Load())
}

// gatedResponder answers at once, except for conversations whose subject
// says "slow", which wait until release is closed.
type gatedResponder struct{ release chan struct{} }

func (r gatedResponder) Respond(ctx context.Context, in inbox.ReplyInput) (inbox.Reply, error) {
	if strings.Contains(in.Conversation.Subject, "slow") {
		select {
		case <-r.release:
		case <-ctx.Done():
			return inbox.Reply{}, ctx.Err()
		}
	}
	return inbox.Reply{Text: "Bonjour", Confidence: 0.9}, nil
}

// TestRunWorkNeverWaitsForASlowItem checks that one model call taking
// long does not hold back the tenant's other work: as each item ends the
// next starts, within Options.MaxConcurrentWork.
func TestRunWorkNeverWaitsForASlowItem(t *testing.T) {
	release := make(chan struct{})
	var folderID string
	e := newEnv(t, inbox.Options{
		Clock:             inbox.SystemClock{}, // items waiting for their classification retry in real time
		MaxConcurrentWork: 2,
		Channels:          map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: (&fakeSender{}).factory()},
		Responder:         gatedResponder{release: release},
		Classifier: inbox.ClassifierFunc(func(context.Context, inbox.ClassifyInput) (inbox.Decision, error) {
			return inbox.Decision{FolderID: folderID, By: "test", Reason: "everything"}, nil
		}),
	})
	tn, err := e.store.GetTenant(e.ctx, tenantA)
	require.NoError(t, err)
	tn.Settings.ReplyPrompt = "Tu es le support de Maison Lumière."
	require.NoError(t, e.store.UpdateTenant(e.ctx, &tn))
	f := inbox.Folder{TenantID: tenantA, Name: "Commandes", AutoReply: inbox.AutoReplySettings{Mode: inbox.AutoReplyApproval, Prompt: "Réponds poliment."}}
	e.update(func(tx driver.Tx) error { return tx.CreateFolder(&f) })
	folderID = f.ID
	integ := e.integration(inbox.SourceEmail, map[string]string{"address": "support@maison-lumiere.example"})
	mail := func(id, from, subject string) inbox.Inbound {
		m := email(id, from, subject, "Où est ma commande ?")
		m.IntegrationID = integ.ID
		return m
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = e.engine.RunWork(ctx, 50*time.Millisecond) }()
	t.Cleanup(func() { close(release); stop(); <-done })

	e.ingest(mail("slow", "a@x.example", "Commande slow"))
	for i := range 5 {
		e.ingest(mail(fmt.Sprint("m", i), fmt.Sprintf("c%d@x.example", i), fmt.Sprint("Commande ", i)))
	}
	pending := func() int {
		ds, err := e.engine.Drafts(e.ctx, tenantA, inbox.DraftQuery{Status: inbox.DraftPending})
		require.NoError(t, err)
		return len(ds)
	}
	require.Eventually(t, func() bool { return pending() == 5 }, 10*time.Second, 10*time.Millisecond,
		"the five quick drafts are written while the slow one still waits")
}
