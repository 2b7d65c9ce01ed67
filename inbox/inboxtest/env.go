package inboxtest

import (
	"context"
	"testing"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// Tenant is the tenant an Env creates.
const Tenant inbox.TenantID = "acme"

// SenderKind is the channel kind an Env registers for its Sender.
const SenderKind inbox.Source = "test"

// Options adjust an Env. The zero value is a working engine.
type Options struct {
	// Engine is passed to inbox.New; Store and Clock are the Env's, and
	// Channels gets SenderKind added.
	Engine inbox.Options
	// Start is the clock's first reading; zero means Epoch.
	Start time.Time
}

// Env is a ready engine on memstore with one tenant, a fake clock, a
// recording sender and an event recorder.
type Env struct {
	Ctx    context.Context
	Engine *inbox.Engine
	Store  *memstore.Store
	Clock  *Clock
	Sender *Sender
	Events *Recorder
	Tenant inbox.TenantID
}

// New builds an Env; the engine is closed when the test ends.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	env := &Env{Ctx: context.Background(), Store: memstore.New(), Clock: NewClock(opts.Start), Sender: NewSender(), Tenant: Tenant}
	eo := opts.Engine
	eo.Store, eo.Clock = env.Store, env.Clock
	channels := map[inbox.Source]inbox.ChannelFactory{SenderKind: env.Sender.Factory()}
	for k, f := range eo.Channels {
		channels[k] = f
	}
	eo.Channels = channels
	eng, err := inbox.New(eo)
	if err != nil {
		t.Fatalf("inboxtest: new engine: %v", err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	env.Engine = eng
	env.Events = Record(t, eng)
	if _, err := eng.CreateTenant(env.Ctx, inbox.Tenant{ID: Tenant, Name: "Acme"}, inbox.Change{Actor: "inboxtest"}); err != nil {
		t.Fatalf("inboxtest: create tenant: %v", err)
	}
	return env
}

// Integration creates an enabled integration of SenderKind, whose
// replies the Sender records.
func (e *Env) Integration(t testing.TB, name string) inbox.Integration {
	t.Helper()
	in, err := e.Engine.CreateIntegration(e.Ctx, e.Tenant, inbox.IntegrationChange{Kind: SenderKind, Name: &name}, inbox.Change{Actor: "inboxtest"})
	if err != nil {
		t.Fatalf("inboxtest: create integration: %v", err)
	}
	return in
}
