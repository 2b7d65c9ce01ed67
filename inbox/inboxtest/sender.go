package inboxtest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// Sender is a channel kind that records every message the engine sends
// through it: register its Factory under a kind in inbox.Options.Channels
// and create integrations of that kind. It can be told to fail.
type Sender struct {
	mu       sync.Mutex
	sent     []inbox.Outbound
	fails    []error
	seq      int
	attempts int
	changed  chan struct{} // closed at each attempt
}

// NewSender returns a recording sender.
func NewSender() *Sender { return &Sender{changed: make(chan struct{})} }

// WaitAttempts waits until the engine has tried to send n messages
// (failed attempts included) and returns the messages sent; the test
// fails after WaitTimeout.
func (s *Sender) WaitAttempts(t testing.TB, n int) []inbox.Outbound {
	t.Helper()
	deadline := time.NewTimer(WaitTimeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if s.attempts >= n {
			sent := append([]inbox.Outbound(nil), s.sent...)
			s.mu.Unlock()
			return sent
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("inboxtest: %d send attempts, not %d, in %s", s.attemptCount(), n, WaitTimeout)
			return nil
		}
	}
}

func (s *Sender) attemptCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// Factory opens a channel of the sender for any integration.
func (s *Sender) Factory() inbox.ChannelFactory {
	return func(ctx context.Context, in inbox.Integration, secret inbox.SecretFunc) (inbox.Channel, error) {
		return &senderChannel{s: s, kind: in.Kind, integration: in.ID}, nil
	}
}

// FailNext makes the next sends fail with errs, one each, in order: wrap
// inbox.ErrTemporary for a failure the outbox retries.
func (s *Sender) FailNext(errs ...error) {
	s.mu.Lock()
	s.fails = append(s.fails, errs...)
	s.mu.Unlock()
}

// Sent returns the messages sent so far, oldest first.
func (s *Sender) Sent() []inbox.Outbound {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]inbox.Outbound(nil), s.sent...)
}

type senderChannel struct {
	s           *Sender
	kind        inbox.Source
	integration string
}

var _ inbox.Sender = (*senderChannel)(nil)

func (c *senderChannel) Kind() inbox.Source    { return c.kind }
func (c *senderChannel) IntegrationID() string { return c.integration }

// Send records out and returns a provider id, or the next queued failure.
func (c *senderChannel) Send(ctx context.Context, out inbox.Outbound) (string, error) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	close(s.changed)
	s.changed = make(chan struct{})
	if len(s.fails) > 0 {
		err := s.fails[0]
		s.fails = s.fails[1:]
		return "", err
	}
	s.sent = append(s.sent, out)
	s.seq++
	return fmt.Sprintf("sent-%d", s.seq), nil
}
