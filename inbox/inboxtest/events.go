package inboxtest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// Recorder keeps every event an engine publishes.
type Recorder struct {
	mu      sync.Mutex
	events  []inbox.Event
	changed chan struct{}
}

// Record subscribes a new Recorder to eng until the test ends.
func Record(t testing.TB, eng *inbox.Engine) *Recorder {
	r := &Recorder{changed: make(chan struct{})}
	cancel := eng.Subscribe(func(ev inbox.Event) {
		r.mu.Lock()
		r.events = append(r.events, ev)
		close(r.changed)
		r.changed = make(chan struct{})
		r.mu.Unlock()
	})
	t.Cleanup(cancel)
	return r
}

// Events returns the events received so far, in publication order.
func (r *Recorder) Events() []inbox.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Types returns the types of the events received so far.
func (r *Recorder) Types() []inbox.EventType {
	var out []inbox.EventType
	for _, ev := range r.Events() {
		out = append(out, ev.Type)
	}
	return out
}

// OfType matches events of one type.
func OfType(t inbox.EventType) func(inbox.Event) bool {
	return func(ev inbox.Event) bool { return ev.Type == t }
}

// WaitTimeout bounds how long Wait waits for an event. Events are
// delivered to subscribers asynchronously, right after the change
// commits, so a correct engine delivers well within it.
var WaitTimeout = 10 * time.Second

// Wait returns the first event received that matches, waiting for it
// when none has arrived yet; the test fails after WaitTimeout.
func (r *Recorder) Wait(t testing.TB, match func(inbox.Event) bool) inbox.Event {
	t.Helper()
	deadline := time.NewTimer(WaitTimeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		for _, ev := range r.events {
			if match(ev) {
				r.mu.Unlock()
				return ev
			}
		}
		changed := r.changed
		r.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("inboxtest: no matching event in %s; received %v", WaitTimeout, r.Types())
			return inbox.Event{}
		}
	}
}
