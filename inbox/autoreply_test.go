package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// fakeSender records deliveries and fails as told.
type fakeSender struct {
	mu    sync.Mutex
	sent  []inbox.Outbound
	calls int
	fail  error // returned by every Send when set
}

type fakeChannel struct {
	kind inbox.Source
	id   string
	s    *fakeSender
}

func (c fakeChannel) Kind() inbox.Source    { return c.kind }
func (c fakeChannel) IntegrationID() string { return c.id }
func (c fakeChannel) Send(_ context.Context, out inbox.Outbound) (string, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.calls++
	if c.s.fail != nil {
		return "", c.s.fail
	}
	c.s.sent = append(c.s.sent, out)
	return fmt.Sprintf("prov-%d", len(c.s.sent)), nil
}

func (s *fakeSender) factory() inbox.ChannelFactory {
	return func(_ context.Context, in inbox.Integration, _ inbox.SecretFunc) (inbox.Channel, error) {
		return fakeChannel{kind: in.Kind, id: in.ID, s: s}, nil
	}
}

func (s *fakeSender) count() (sent, calls int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sent), s.calls
}

// fakeResponder counts generations.
type fakeResponder struct {
	mu    sync.Mutex
	calls int
	err   error
	text  string
}

func (r *fakeResponder) Respond(_ context.Context, in inbox.ReplyInput) (inbox.Reply, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.err != nil {
		return inbox.Reply{}, r.err
	}
	return inbox.Reply{Text: r.text + " (" + in.Prompt + ")", Confidence: 0.9}, nil
}

func (r *fakeResponder) generations() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

type autoEnv struct {
	*env
	sender    *fakeSender
	responder *fakeResponder
	folder    inbox.Folder
	integ     inbox.Integration
}

func newAutoEnv(t *testing.T, mode inbox.AutoReplyMode) *autoEnv {
	sender := &fakeSender{}
	responder := &fakeResponder{text: "Votre commande a été expédiée"}
	// Every conversation lands in the one folder with auto-reply on.
	var folderID string
	classifier := inbox.ClassifierFunc(func(_ context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
		return inbox.Decision{FolderID: folderID, By: "test", Reason: "everything"}, nil
	})
	e := newEnv(t, inbox.Options{
		Responder:  responder,
		Classifier: classifier,
		Channels:   map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: sender.factory(), inbox.SourceSMS: sender.factory()},
	})
	tn, err := e.store.GetTenant(e.ctx, tenantA)
	require.NoError(t, err)
	tn.Settings.ReplyPrompt = "Tu es le support de Maison Lumière."
	require.NoError(t, e.store.UpdateTenant(e.ctx, &tn))
	f := e.folder("Commandes", mode)
	folderID = f.ID
	integ := e.integration(inbox.SourceEmail, map[string]string{"address": "support@maison-lumiere.example"})
	return &autoEnv{env: e, sender: sender, responder: responder, folder: f, integ: integ}
}

func (a *autoEnv) customerMail(id, text string) inbox.IngestItem {
	m := email(id, "camille@courriel.example", "Où est ma commande #12345 ?", text)
	m.IntegrationID = a.integ.ID
	if id != "m1" {
		m.InReplyTo = "m1@mail.example"
	}
	m.SentAt = a.clock.Now()
	item := a.ingest(m).Items[0]
	a.work() // the engine's worker answers in the background
	return item
}

// drafts lists the drafts a query selects.
func (a *autoEnv) drafts(q inbox.DraftQuery) []inbox.Draft {
	a.t.Helper()
	ds, err := a.engine.Drafts(a.ctx, tenantA, q)
	require.NoError(a.t, err)
	return ds
}

func (a *autoEnv) deliver() {
	_, err := a.engine.DeliverOutbox(a.ctx, tenantA)
	require.NoError(a.t, err)
}

func TestAutoReplyAutomaticModeSendsOnceUntilAHumanAnswers(t *testing.T) {
	a := newAutoEnv(t, inbox.AutoReplyAuto)
	it := a.customerMail("m1", "Où est ma commande ?")
	a.deliver()
	sent, _ := a.sender.count()
	require.Equal(t, 1, sent)
	out := a.sender.sent[0]
	require.Equal(t, inbox.AuthorAutoReply, out.Message.Author)
	require.Equal(t, "camille@courriel.example", out.Message.To[0].Email)
	require.Equal(t, "m1@mail.example", out.Message.InReplyTo)
	require.Contains(t, out.Message.Text, "Maison Lumière", "the tenant prompt reaches the responder")
	require.Equal(t, "Re: Où est ma commande #12345 ?", out.Message.Subject)

	// the customer writes again: no second auto-reply without a human in between
	a.clock.Advance(10 * time.Minute)
	a.customerMail("m2", "Alors ?")
	a.deliver()
	require.Equal(t, 1, a.responder.generations())

	// an agent answers, then the customer writes 1 minute later: the agent is on it
	a.clock.Advance(time.Minute)
	_, err := a.engine.Reply(a.ctx, tenantA, it.ConversationID, inbox.ReplyRequest{Text: "Je regarde"}, inbox.Change{Actor: "agent-1"})
	require.NoError(t, err)
	a.clock.Advance(time.Minute)
	a.customerMail("m3", "Merci")
	require.Equal(t, 1, a.responder.generations())

	// later, after the quiet period, a new customer message may be auto-answered again
	a.clock.Advance(time.Hour)
	a.customerMail("m4", "Et la facture ?")
	require.Equal(t, 2, a.responder.generations())
	a.deliver()
	sent, _ = a.sender.count()
	require.Equal(t, 3, sent, "two auto-replies and one human reply delivered")
	c := a.conversation(it.ConversationID)
	require.Equal(t, inbox.StatusOpen, c.Status)
}

func TestAutoReplyNeverAnswersAutomatedMail(t *testing.T) {
	a := newAutoEnv(t, inbox.AutoReplyAuto)
	for i, m := range []inbox.Inbound{
		func() inbox.Inbound {
			m := email("ooo", "camille@courriel.example", "Absence", "Je suis absente")
			m.Automated, m.AutomatedReason = true, "auto-submitted"
			return m
		}(),
		email("noreply", "no-reply@shop.example", "Votre reçu", "Merci pour votre achat"),
		func() inbox.Inbound {
			m := email("bounce", "mailer-daemon@mx.example", "Undelivered", "failed")
			m.Automated, m.Bounce = true, true
			return m
		}(),
	} {
		m.IntegrationID = a.integ.ID
		require.Equal(t, inbox.IngestStored, a.ingest(m).Items[0].Status, i)
	}
	a.deliver()
	require.Equal(t, 0, a.responder.generations())
	sent, _ := a.sender.count()
	require.Zero(t, sent)
}

func TestAutoReplyApprovalModeCreatesDraft(t *testing.T) {
	a := newAutoEnv(t, inbox.AutoReplyApproval)
	drafts := make(chan inbox.Event, 4)
	cancel := a.engine.Subscribe(func(ev inbox.Event) {
		if ev.Type == inbox.EventDraftReady {
			drafts <- ev
		}
	})
	defer cancel()
	it := a.customerMail("m1", "Mon compte ne fonctionne pas")
	a.deliver()
	sent, _ := a.sender.count()
	require.Zero(t, sent, "nothing leaves before approval")
	select {
	case <-drafts:
	case <-time.After(5 * time.Second):
		t.Fatal("no draft.ready event")
	}

	ds := a.drafts(inbox.DraftQuery{ConversationID: it.ConversationID, Status: inbox.DraftPending})
	require.Len(t, ds, 1)

	msg, err := a.engine.ApproveDraft(a.ctx, tenantA, ds[0].ID, "Bonjour, pouvez-vous réessayer ?", inbox.Change{Actor: "agent-7"})
	require.NoError(t, err)
	require.Equal(t, inbox.AuthorAgent, msg.Author)
	a.deliver()
	require.Equal(t, "Bonjour, pouvez-vous réessayer ?", a.sender.sent[0].Message.Text)
	_, err = a.engine.ApproveDraft(a.ctx, tenantA, ds[0].ID, "", inbox.Change{Actor: "agent-7"})
	require.ErrorIs(t, err, inbox.ErrInvalid, "a draft is approved once")
}

func TestAutoReplyGenerationFailureIsRetriedWithBackoffThenLeavesAFailedDraft(t *testing.T) {
	a := newAutoEnv(t, inbox.AutoReplyAuto)
	a.responder.err = fmt.Errorf("model timeout: %w", inbox.ErrTemporary)
	it := a.customerMail("m1", "Bonjour")
	require.Equal(t, 1, a.responder.generations())
	a.work()
	require.Equal(t, 1, a.responder.generations(), "no retry storm: a retry waits for its backoff")
	ds := a.drafts(inbox.DraftQuery{ConversationID: it.ConversationID})
	require.Empty(t, ds, "a temporary failure leaves no failed draft blocking the next answers")
	for range 20 {
		a.clock.Advance(2 * time.Hour)
		a.work()
	}
	require.Equal(t, 8, a.responder.generations(), "the attempts are bounded")
	ds = a.drafts(inbox.DraftQuery{ConversationID: it.ConversationID})
	require.Len(t, ds, 1)
	require.Equal(t, inbox.DraftFailed, ds[0].Status)
	require.Contains(t, ds[0].Error, "model timeout")
	sent, _ := a.sender.count()
	require.Zero(t, sent)
}

func TestFailingSendRetriesThenFailsWithoutRegenerating(t *testing.T) {
	a := newAutoEnv(t, inbox.AutoReplyAuto)
	a.sender.fail = fmt.Errorf("smtp 451: %w", inbox.ErrTemporary)
	it := a.customerMail("m1", "Bonjour")
	for range 20 {
		a.deliver()
		a.clock.Advance(2 * time.Hour)
	}
	_, calls := a.sender.count()
	require.Equal(t, inbox.DefaultOutboxMaxAttempts, calls)
	require.Equal(t, 1, a.responder.generations(), "a failed send never re-runs generation")
	msgs := a.messages(it.ConversationID)
	last := msgs[len(msgs)-1]
	require.Equal(t, inbox.DeliveryFailed, last.Delivery)
	require.Contains(t, last.DeliveryError, "smtp 451")
}

func TestAutoReplyBlockedReasons(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	base := inbox.AutoReplyCheck{
		Now:          now,
		Tenant:       inbox.Tenant{Settings: inbox.TenantSettings{ReplyPrompt: "p"}},
		Folder:       inbox.Folder{AutoReply: inbox.AutoReplySettings{Mode: inbox.AutoReplyAuto}},
		Conversation: inbox.Conversation{Status: inbox.StatusNew},
		Message:      inbox.Message{Direction: inbox.DirectionIn, Author: inbox.AuthorCustomer, Source: inbox.SourceEmail, From: inbox.Party{Email: "a@b.example"}},
	}
	require.Empty(t, inbox.AutoReplyBlocked(base))
	for name, mod := range map[string]func(c *inbox.AutoReplyCheck){
		"off":             func(c *inbox.AutoReplyCheck) { c.Folder.AutoReply.Mode = inbox.AutoReplyOff },
		"no prompt":       func(c *inbox.AutoReplyCheck) { c.Tenant.Settings.ReplyPrompt = " " },
		"automated":       func(c *inbox.AutoReplyCheck) { c.Message.Automated = true },
		"no-reply sender": func(c *inbox.AutoReplyCheck) { c.Message.From.Email = "noreply@shop.example" },
		"human recently":  func(c *inbox.AutoReplyCheck) { c.Conversation.LastHumanReplyAt = now.Add(-119 * time.Second) },
		"already auto": func(c *inbox.AutoReplyCheck) {
			c.Conversation.LastHumanReplyAt = now.Add(-time.Hour)
			c.Conversation.LastAutoReplyAt = now.Add(-time.Minute)
		},
		"daily limit": func(c *inbox.AutoReplyCheck) { c.RecentToContact = 3 },
		"no-reply Reply-To": func(c *inbox.AutoReplyCheck) {
			c.Message.ReplyTo = []inbox.Party{{Email: "shop-noreply@b.example"}}
			c.ReplyTo = "shop-noreply@b.example"
		},
		"address limit": func(c *inbox.AutoReplyCheck) { c.RecentToMailbox = 3 },
		"domain burst":  func(c *inbox.AutoReplyCheck) { c.DomainBurst = 3 },
		"domain limit":  func(c *inbox.AutoReplyCheck) { c.RecentToDomain = inbox.AutoRepliesPerDomainPerDay },
		"paused":        func(c *inbox.AutoReplyCheck) { c.Paused = true },
		"spam":          func(c *inbox.AutoReplyCheck) { c.Conversation.Status = inbox.StatusSpam },
		"agent msg":     func(c *inbox.AutoReplyCheck) { c.Message.Author = inbox.AuthorAgent },
	} {
		c := base
		mod(&c)
		require.NotEmpty(t, inbox.AutoReplyBlocked(c), name)
	}
	c := base
	c.Conversation.LastHumanReplyAt = now.Add(-121 * time.Second)
	require.Empty(t, inbox.AutoReplyBlocked(c), "after the quiet period a new auto-reply is fine")
}

func TestLowConfidenceAutomaticAnswerBecomesDraft(t *testing.T) {
	a := newAutoEnv(t, inbox.AutoReplyAuto)
	a.folder.AutoReply.MinConfidence = 0.95 // the fake responder is 0.9 sure
	_, err := a.engine.SaveFolder(a.ctx, tenantA, a.folder, inbox.Change{Actor: "admin"})
	require.NoError(t, err)
	it := a.customerMail("m1", "Où est ma commande ?")
	a.deliver()
	sent, _ := a.sender.count()
	require.Zero(t, sent)
	ds := a.drafts(inbox.DraftQuery{ConversationID: it.ConversationID, Status: inbox.DraftPending})
	require.Len(t, ds, 1, "kept for a person to check")
}

// A model that refuses for good (a bad request, an unusable answer) is not
// asked again: a failed draft says why at once.
func TestAutoReplyPermanentFailureLeavesAFailedDraftAtOnce(t *testing.T) {
	a := newAutoEnv(t, inbox.AutoReplyAuto)
	a.responder.err = errors.New("model not found")
	it := a.customerMail("m1", "Bonjour")
	a.clock.Advance(2 * time.Hour)
	a.work()
	require.Equal(t, 1, a.responder.generations())
	ds := a.drafts(inbox.DraftQuery{ConversationID: it.ConversationID})
	require.Len(t, ds, 1)
	require.Equal(t, inbox.DraftFailed, ds[0].Status)
	require.Contains(t, ds[0].Error, "model not found")
}

func TestIsNoReplyAddressKnowsTheCommonSpellings(t *testing.T) {
	for addr, want := range map[string]bool{
		"noreply@shop.example":                  true,
		"no-reply@shop.example":                 true,
		"No_Reply+123@shop.example":             true,
		"account-security-noreply@bank.example": true,
		"shop-noreply@store.example":            true,
		"reply-not-monitored@airline.example":   true,
		"do.not.reply@city.example":             true,
		"ne-pas-repondre@impots.example":        true,
		"MAILER-DAEMON@mx.example":              true,
		"bounces+srs=abc@list.example":          true,
		"notifications@github.example":          true,
		"camille.martin@courriel.example":       false,
		"replyall@agency.example":               false,
		"noreen.reply@courriel.example":         false,
		"support@maison-lumiere.example":        false,
		"not-an-address":                        false,
	} {
		require.Equal(t, want, inbox.IsNoReplyAddress(addr), addr)
	}
}
