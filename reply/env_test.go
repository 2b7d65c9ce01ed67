package reply_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/reply"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

const tenantID inbox.TenantID = "maison-lumiere"

// testClock is a settable clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// recordingSender is an inbox.Sender that keeps what it is given.
type recordingSender struct {
	mu   sync.Mutex
	sent []inbox.Outbound
}

type recordingChannel struct {
	in inbox.Integration
	s  *recordingSender
}

func (c recordingChannel) Kind() inbox.Source    { return c.in.Kind }
func (c recordingChannel) IntegrationID() string { return c.in.ID }
func (c recordingChannel) Send(_ context.Context, out inbox.Outbound) (string, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.sent = append(c.s.sent, out)
	return fmt.Sprintf("provider-%d", len(c.s.sent)), nil
}

func (s *recordingSender) factory(_ context.Context, in inbox.Integration, _ inbox.SecretFunc) (inbox.Channel, error) {
	return recordingChannel{in: in, s: s}, nil
}

func (s *recordingSender) outbound() []inbox.Outbound {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]inbox.Outbound(nil), s.sent...)
}

// env is an engine on memstore with one tenant, one folder every
// conversation is filed into, an email and an SMS integration, a
// knowledge base and the AI responder on a fake API.
type env struct {
	t      *testing.T
	ctx    context.Context
	store  *memstore.Store
	clock  *testClock
	eng    *inbox.Engine
	sender *recordingSender
	api    *fakeAPI
	kb     *reply.Knowledge
	ai     *reply.AI
	folder inbox.Folder
	mail   inbox.Integration
	sms    inbox.Integration
}

type envOptions struct {
	folder       string
	mode         inbox.AutoReplyMode
	folderPrompt string
	embeddings   bool
	ai           func(o *reply.AIOptions)
}

func newEnv(t *testing.T, o envOptions, script func(chatCall) modelAnswer) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, ctx: ctx, store: memstore.New(), sender: &recordingSender{},
		clock: &testClock{now: time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC)}}
	e.api = newFakeAPI(t, script)
	require.NoError(t, e.store.CreateTenant(ctx, &inbox.Tenant{ID: tenantID, Name: "Maison Lumière",
		Settings: inbox.TenantSettings{ReplyPrompt: "Tu es l'assistant du service client de Maison Lumière, boutique de luminaires. Vouvoie le client et signe « L'équipe Maison Lumière »."}}))

	kopts := reply.KnowledgeOptions{Store: e.store, Clock: e.clock}
	if o.embeddings {
		emb, err := reply.NewOpenAIEmbedder(reply.OpenAIEmbedderOptions{ClientOptions: e.api.client(), Model: "text-embedding-3-small"})
		require.NoError(t, err)
		kopts.Embedder = emb
	}
	var err error
	e.kb, err = reply.NewKnowledge(kopts)
	require.NoError(t, err)
	aopts := reply.AIOptions{ClientOptions: e.api.client(), Model: "gpt-4.1-mini", Knowledge: e.kb,
		Retry: reply.RetryOptions{MaxAttempts: 3, Backoff: time.Millisecond}}
	if o.ai != nil {
		o.ai(&aopts)
	}
	e.ai, err = reply.NewAI(aopts)
	require.NoError(t, err)

	var folderID string
	e.eng, err = inbox.New(inbox.Options{
		Store: e.store, Clock: e.clock, Responder: e.ai,
		Classifier: inbox.ClassifierFunc(func(context.Context, inbox.ClassifyInput) (inbox.Decision, error) {
			return inbox.Decision{FolderID: folderID, By: "test", Reason: "single folder"}, nil
		}),
		Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: e.sender.factory, inbox.SourceSMS: e.sender.factory},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.eng.Close() })

	e.folder = inbox.Folder{Name: o.folder, AutoReply: inbox.AutoReplySettings{Mode: o.mode, Prompt: o.folderPrompt, UseKnowledge: true}}
	e.mail = inbox.Integration{Kind: inbox.SourceEmail, Name: "support", Enabled: true,
		Config: map[string]string{"address": "support@maison-lumiere.example", "display_name": "Maison Lumière"}}
	e.sms = inbox.Integration{Kind: inbox.SourceSMS, Name: "sms", Enabled: true, Config: map[string]string{"number": "33700000001"}}
	e.update(func(tx driver.Tx) error {
		if err := tx.CreateFolder(&e.folder); err != nil {
			return err
		}
		if err := tx.CreateIntegration(&e.mail); err != nil {
			return err
		}
		return tx.CreateIntegration(&e.sms)
	})
	folderID = e.folder.ID
	return e
}

func (e *env) update(fn func(tx driver.Tx) error) {
	e.t.Helper()
	require.NoError(e.t, e.store.Update(e.ctx, tenantID, fn))
}

func (e *env) view(fn func(tx driver.Tx) error) {
	e.t.Helper()
	require.NoError(e.t, e.store.View(e.ctx, tenantID, fn))
}

func (e *env) addDoc(title, format, body string) inbox.KnowledgeDoc {
	e.t.Helper()
	d, err := e.kb.Add(e.ctx, tenantID, reply.Document{Title: title, Format: format, Body: body}, inbox.Change{Actor: "admin-1"})
	require.NoError(e.t, err)
	return d
}

// email ingests a customer mail, answering the mail with Message-ID
// inReplyTo when given, and returns its ingest item.
func (e *env) email(id, from, name, subject, text string, inReplyTo ...string) inbox.IngestItem {
	e.t.Helper()
	in := inbox.Inbound{
		IntegrationID: e.mail.ID, Source: inbox.SourceEmail, ProviderID: id, MessageID: id + "@courriel.example",
		From: inbox.Party{Email: from, Name: name}, To: []inbox.Party{{Email: "support@maison-lumiere.example"}},
		Subject: subject, Text: text, SentAt: e.clock.Now(), Language: "fr",
	}
	if len(inReplyTo) > 0 {
		in.InReplyTo = inReplyTo[0]
	}
	res, err := e.eng.Ingest(e.ctx, tenantID, []inbox.Inbound{in})
	require.NoError(e.t, err)
	require.Equal(e.t, inbox.IngestStored, res.Items[0].Status)
	e.work()
	return res.Items[0]
}

// work runs the background work the engine's worker would run now.
func (e *env) work() {
	e.t.Helper()
	_, err := e.eng.DoWork(e.ctx, tenantID)
	require.NoError(e.t, err)
}

func (e *env) textMessage(id, phone, text string) inbox.IngestItem {
	e.t.Helper()
	res, err := e.eng.Ingest(e.ctx, tenantID, []inbox.Inbound{{
		IntegrationID: e.sms.ID, Source: inbox.SourceSMS, ProviderID: id, From: inbox.Party{Phone: phone}, Text: text, SentAt: e.clock.Now(),
	}})
	require.NoError(e.t, err)
	require.Equal(e.t, inbox.IngestStored, res.Items[0].Status)
	e.work()
	return res.Items[0]
}

func (e *env) deliver() {
	e.t.Helper()
	_, err := e.eng.DeliverOutbox(e.ctx, tenantID)
	require.NoError(e.t, err)
}

func (e *env) drafts(convID string) []inbox.Draft {
	e.t.Helper()
	var ds []inbox.Draft
	e.view(func(tx driver.Tx) error {
		var err error
		ds, err = tx.ListDrafts(inbox.DraftQuery{ConversationID: convID})
		return err
	})
	return ds
}

func (e *env) messages(convID string) []inbox.Message {
	e.t.Helper()
	var ms []inbox.Message
	e.view(func(tx driver.Tx) error {
		var err error
		ms, err = tx.ListMessages(convID)
		return err
	})
	return ms
}

func (e *env) conversation(convID string) inbox.Conversation {
	e.t.Helper()
	var c inbox.Conversation
	e.view(func(tx driver.Tx) error {
		var err error
		c, err = tx.GetConversation(convID)
		return err
	})
	return c
}
