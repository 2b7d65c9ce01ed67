package inbox_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// fakeClock is a settable clock for the time-based rules.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 11, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

const tenantA inbox.TenantID = "acme"

// env is an engine on a fresh memory store with one tenant.
type env struct {
	t      *testing.T
	ctx    context.Context
	store  *memstore.Store
	clock  *fakeClock
	engine *inbox.Engine
}

func newEnv(t *testing.T, opts inbox.Options) *env {
	t.Helper()
	ctx := context.Background()
	st := memstore.New()
	clock := newFakeClock()
	opts.Store = st
	if opts.Clock == nil {
		opts.Clock = clock
	}
	eng, err := inbox.New(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	require.NoError(t, st.CreateTenant(ctx, &inbox.Tenant{ID: tenantA, Name: "Maison Lumière", CreatedAt: clock.Now()}))
	return &env{t: t, ctx: ctx, store: st, clock: clock, engine: eng}
}

func (e *env) ingest(msgs ...inbox.Inbound) inbox.IngestResult {
	e.t.Helper()
	res, err := e.engine.Ingest(e.ctx, tenantA, msgs)
	require.NoError(e.t, err)
	return res
}

// work runs the tenant's due background work, as Run's worker would.
func (e *env) work() {
	e.t.Helper()
	_, err := e.engine.DoWork(e.ctx, tenantA)
	require.NoError(e.t, err)
}

func (e *env) conversation(id string) inbox.Conversation {
	e.t.Helper()
	var c inbox.Conversation
	require.NoError(e.t, e.store.View(e.ctx, tenantA, func(tx driver.Tx) error {
		var err error
		c, err = tx.GetConversation(id)
		return err
	}))
	return c
}

func (e *env) messages(convID string) []inbox.Message {
	e.t.Helper()
	var msgs []inbox.Message
	require.NoError(e.t, e.store.View(e.ctx, tenantA, func(tx driver.Tx) error {
		var err error
		msgs, err = tx.ListMessages(convID)
		return err
	}))
	return msgs
}

func (e *env) update(fn func(tx driver.Tx) error) {
	e.t.Helper()
	require.NoError(e.t, e.store.Update(e.ctx, tenantA, fn))
}

func (e *env) folder(name string, mode inbox.AutoReplyMode) inbox.Folder {
	e.t.Helper()
	f := inbox.Folder{TenantID: tenantA, Name: name, AutoReply: inbox.AutoReplySettings{Mode: mode}}
	e.update(func(tx driver.Tx) error { return tx.CreateFolder(&f) })
	return f
}

func (e *env) integration(kind inbox.Source, config map[string]string) inbox.Integration {
	e.t.Helper()
	now := e.engine.Clock().Now()
	in := inbox.Integration{TenantID: tenantA, Kind: kind, Name: string(kind), Enabled: true, Config: config, CreatedAt: now, UpdatedAt: now}
	e.update(func(tx driver.Tx) error { return tx.CreateIntegration(&in) })
	return in
}

func email(providerID, from, subject, text string) inbox.Inbound {
	return inbox.Inbound{
		IntegrationID: "mbox", Source: inbox.SourceEmail, ProviderID: providerID,
		MessageID: providerID + "@mail.example", From: inbox.Party{Email: from},
		To:      []inbox.Party{{Email: "support@maison-lumiere.example"}},
		Subject: subject, Text: text,
	}
}

func sms(providerID, phone, text string) inbox.Inbound {
	return inbox.Inbound{
		IntegrationID: "vonage", Source: inbox.SourceSMS, ProviderID: providerID,
		From: inbox.Party{Phone: phone}, Text: text,
	}
}
