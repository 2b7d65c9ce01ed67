// Package channeltest is the conformance suite of inboxkit channels, in
// the spirit of storage/storetest: every channel shipped with inboxkit
// runs it, and so should a host's own. A Harness connects the suite to
// the channel and to a backend the test controls (a Dovecot account, a
// fake provider API).
//
// The suite checks what the engine relies on, for each capability the
// channel has:
//
//   - Puller: every message is delivered once, in batches whose cursor
//     covers them; pulling again from a cursor delivers only what arrived
//     since; a deliver error stops the pull and loses nothing; a message
//     the channel cannot read comes back with ParseError (to be
//     quarantined) and the cursor moves past it;
//   - Watcher: an arrival is signalled;
//   - Sender: a message is delivered and gets a provider id;
//   - wrong credentials are reported as inbox.ErrUnauthorized, never as a
//     temporary failure retried forever.
package channeltest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// Harness is one channel under test and its backend.
type Harness struct {
	// Open returns a channel on the backend; with badCredentials its
	// credentials are refused by the backend. Required.
	Open func(t *testing.T, badCredentials bool) inbox.Channel
	// Arrive makes n new messages from customers available to a Puller
	// or Watcher. Required when the channel pulls or watches.
	Arrive func(t *testing.T, n int)
	// ArrivePoison makes one message available that the channel cannot
	// read. Nil: the backend cannot produce malformed input.
	ArrivePoison func(t *testing.T)
	// Outbound returns a message the backend accepts, carrying text.
	// Required when the channel sends.
	Outbound func(text string) inbox.Outbound
	// Delivered returns the texts the backend received, oldest first.
	// Required when the channel sends.
	Delivered func(t *testing.T) []string
	// Timeout bounds each wait (a pull, a watch notification). 0: 30 s.
	Timeout time.Duration
}

// Run runs the suite against h.
func Run(t *testing.T, h Harness) {
	if h.Open == nil {
		t.Fatal("channeltest: Harness.Open is required")
	}
	if h.Timeout == 0 {
		h.Timeout = 30 * time.Second
	}
	ch := h.Open(t, false)
	t.Run("Identity", func(t *testing.T) {
		require.True(t, ch.Kind().Valid(), "Kind %q is a kind name", ch.Kind())
	})
	_, pulls := ch.(inbox.Puller)
	_, watches := ch.(inbox.Watcher)
	_, sends := ch.(inbox.Sender)
	require.True(t, pulls || watches || sends, "a channel pulls, watches or sends")
	if pulls {
		require.NotNil(t, h.Arrive, "Harness.Arrive is required for a Puller")
		t.Run("PullDeliversEachMessageOnce", func(t *testing.T) { testPullOnce(t, h) })
		t.Run("DeliverErrorLosesNothing", func(t *testing.T) { testDeliverError(t, h) })
		if h.ArrivePoison != nil {
			t.Run("PoisonIsReportedAndPassed", func(t *testing.T) { testPoison(t, h) })
		}
		t.Run("PullWithBadCredentials", func(t *testing.T) {
			p := h.Open(t, true).(inbox.Puller)
			err := p.Pull(h.ctx(t), "", func(context.Context, inbox.Batch) (inbox.IngestResult, error) {
				t.Error("nothing is delivered with bad credentials")
				return inbox.IngestResult{}, nil
			})
			requireUnauthorized(t, err)
		})
	}
	if watches {
		require.NotNil(t, h.Arrive, "Harness.Arrive is required for a Watcher")
		t.Run("WatchSignalsArrivals", func(t *testing.T) { testWatch(t, h) })
	}
	if sends {
		require.NotNil(t, h.Outbound, "Harness.Outbound is required for a Sender")
		require.NotNil(t, h.Delivered, "Harness.Delivered is required for a Sender")
		t.Run("SendDelivers", func(t *testing.T) { testSend(t, h) })
		t.Run("SendWithBadCredentials", func(t *testing.T) {
			s := h.Open(t, true).(inbox.Sender)
			_, err := s.Send(h.ctx(t), h.Outbound("never delivered"))
			requireUnauthorized(t, err)
			require.False(t, slices.ContainsFunc(h.Delivered(t), func(s string) bool { return strings.Contains(s, "never delivered") }))
		})
	}
}

func (h Harness) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), h.Timeout)
	t.Cleanup(cancel)
	return ctx
}

func requireUnauthorized(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, inbox.ErrUnauthorized, "refused credentials are reported as such: %v", err)
	require.NotErrorIs(t, err, inbox.ErrTemporary, "refused credentials are not retried as a temporary failure")
}

// collector is a DeliverFunc keeping what it is given.
type collector struct {
	mu      sync.Mutex
	batches []inbox.Batch
	failAt  int // fail the failAt-th batch (1-based); 0 never
	calls   int
}

var errDeliver = errors.New("channeltest: the store is unavailable")

func (c *collector) deliver(ctx context.Context, b inbox.Batch) (inbox.IngestResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.calls == c.failAt {
		return inbox.IngestResult{}, errDeliver
	}
	c.batches = append(c.batches, b)
	res := inbox.IngestResult{Items: make([]inbox.IngestItem, len(b.Messages))}
	for i := range res.Items {
		res.Items[i] = inbox.IngestItem{Status: inbox.IngestStored, MessageID: fmt.Sprint("m", c.calls, "-", i)}
	}
	res.Stored = len(b.Messages)
	return res, nil
}

func (c *collector) messages() []inbox.Inbound {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []inbox.Inbound
	for _, b := range c.batches {
		out = append(out, b.Messages...)
	}
	return out
}

// cursor is the cursor of the last batch that carried one.
func (c *collector) cursor(from string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := from
	for _, b := range c.batches {
		if b.Cursor != nil {
			cur = *b.Cursor
		}
	}
	return cur
}

func pull(t *testing.T, h Harness, p inbox.Puller, cursor string) *collector {
	t.Helper()
	c := &collector{}
	require.NoError(t, p.Pull(h.ctx(t), cursor, c.deliver))
	return c
}

func providerIDs(msgs []inbox.Inbound) []string {
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.ProviderID)
	}
	return ids
}

func testPullOnce(t *testing.T, h Harness) {
	p := h.Open(t, false).(inbox.Puller)
	first := pull(t, h, p, "")
	cursor := first.cursor("")
	seen := providerIDs(first.messages())

	h.Arrive(t, 3)
	got := pull(t, h, p, cursor)
	msgs := got.messages()
	require.Len(t, msgs, 3, "the three new messages, once each")
	ids := providerIDs(msgs)
	slices.Sort(ids)
	require.Len(t, slices.Compact(ids), 3, "distinct provider ids")
	for _, m := range msgs {
		require.NotEmpty(t, m.ProviderID, "every message has a provider id")
		require.True(t, m.Source.Valid())
		require.Empty(t, m.ParseError)
		require.False(t, slices.Contains(seen, m.ProviderID), "nothing pulled before comes again")
		require.False(t, m.From.IsZero() && !m.Own, "a customer's message names its sender")
	}
	for _, b := range got.batches {
		require.NotNil(t, b.Cursor, "every batch carries the cursor that covers it")
	}
	cursor = got.cursor(cursor)

	again := pull(t, h, p, cursor)
	require.Empty(t, again.messages(), "pulling from the last cursor delivers nothing")

	h.Arrive(t, 1)
	next := pull(t, h, p, cursor)
	require.Len(t, next.messages(), 1, "only what arrived since the cursor")
}

func testDeliverError(t *testing.T, h Harness) {
	p := h.Open(t, false).(inbox.Puller)
	cursor := pull(t, h, p, "").cursor("")
	h.Arrive(t, 2)
	failing := &collector{failAt: 1}
	err := p.Pull(h.ctx(t), cursor, failing.deliver)
	require.ErrorIs(t, err, errDeliver, "Pull stops at the deliver error and returns it")
	got := pull(t, h, p, cursor)
	require.Len(t, got.messages(), 2, "the messages of the failed batch come again")
}

func testPoison(t *testing.T, h Harness) {
	p := h.Open(t, false).(inbox.Puller)
	cursor := pull(t, h, p, "").cursor("")
	h.ArrivePoison(t)
	h.Arrive(t, 1)
	got := pull(t, h, p, cursor)
	msgs := got.messages()
	require.Len(t, msgs, 2, "the unreadable message and the next one")
	bad := slices.IndexFunc(msgs, func(m inbox.Inbound) bool { return m.ParseError != "" })
	require.GreaterOrEqual(t, bad, 0, "the unreadable message comes with ParseError, to be quarantined")
	require.NotEmpty(t, msgs[bad].ProviderID, "and with its provider id, so it is quarantined once")
	require.Empty(t, pull(t, h, p, got.cursor(cursor)).messages(), "the cursor moved past it")
}

func testWatch(t *testing.T, h Harness) {
	w := h.Open(t, false).(inbox.Watcher)
	ctx, cancel := context.WithCancel(context.Background())
	notified := make(chan struct{}, 16)
	done := make(chan error, 1)
	go func() { done <- w.Watch(ctx, func() { notified <- struct{}{} }) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(h.Timeout):
			t.Error("Watch did not return once its context ended")
		}
	}()
	// Drain what the watcher signals on start, then expect the arrival.
	deadline := time.After(h.Timeout)
	h.Arrive(t, 1)
	select {
	case <-notified:
	case <-deadline:
		t.Fatal("no signal after a message arrived")
	}
}

func testSend(t *testing.T, h Harness) {
	s := h.Open(t, false).(inbox.Sender)
	id, err := s.Send(h.ctx(t), h.Outbound("Bonjour, votre commande part aujourd'hui."))
	require.NoError(t, err)
	require.NotEmpty(t, id, "a delivered message gets the provider's id")
	require.True(t, slices.ContainsFunc(h.Delivered(t), func(s string) bool { return strings.Contains(s, "votre commande part aujourd'hui") }),
		"the backend received the text: %q", h.Delivered(t))
}
