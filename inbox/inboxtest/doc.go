// Package inboxtest is a test kit for hosts embedding inboxkit: an engine
// on the in-memory store, ready in one call, with a fake clock that
// drives the engine's loops, a channel that records what the engine
// sends, and a recorder of the events it publishes.
//
// A host's own tests then exercise its code against the real engine,
// with no server, no network and no sleeping:
//
//	func TestNewTicketIsAnswered(t *testing.T) {
//		env := inboxtest.New(t, inboxtest.Options{})
//		res, err := env.Engine.Ingest(env.Ctx, env.Tenant, []inbox.Inbound{...})
//		...
//		env.Clock.Advance(time.Minute)          // the next sync, the outbox retry
//		ev := env.Events.Wait(t, inboxtest.OfType(inbox.EventMessageCreated))
//		sent := env.Sender.Sent()
//	}
//
// Everything here behaves as production does: memstore passes the same
// conformance suite as the SQL stores (storage/storetest).
package inboxtest
