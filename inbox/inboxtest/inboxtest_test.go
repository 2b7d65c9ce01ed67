package inboxtest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/inboxtest"
)

func TestClockFiresTickersAndTimersAsTimePasses(t *testing.T) {
	c := inboxtest.NewClock(time.Time{})
	tick := c.NewTicker(time.Minute)
	timer := c.NewTimer(90 * time.Second)
	stopped := c.NewTimer(time.Second)
	require.True(t, stopped.Stop())
	require.False(t, stopped.Stop())
	require.Equal(t, 2, c.Waiters())

	c.Advance(59 * time.Second)
	select {
	case <-tick.C():
		t.Fatal("ticked early")
	default:
	}
	c.Advance(time.Second)
	require.Equal(t, inboxtest.Epoch.Add(time.Minute), <-tick.C())
	c.Advance(time.Minute)
	require.Equal(t, inboxtest.Epoch.Add(90*time.Second), <-timer.C())
	require.Equal(t, inboxtest.Epoch.Add(2*time.Minute), <-tick.C())
	require.Equal(t, 1, c.Waiters(), "a fired timer is gone")
	tick.Stop()
	require.Zero(t, c.Waiters())
	require.NoError(t, c.BlockUntil(context.Background(), 0))
}

// The outbox worker runs on the fake clock: a failed send is retried when
// the test moves time, not when wall time passes.
func TestOutboxRetriesOnTheFakeClock(t *testing.T) {
	env := inboxtest.New(t, inboxtest.Options{})
	in := env.Integration(t, "Website chat")
	res, err := env.Engine.Ingest(env.Ctx, env.Tenant, []inbox.Inbound{{
		Source: inboxtest.SenderKind, IntegrationID: in.ID, ProviderID: "q1", From: inbox.Party{ID: "visitor-1"}, Text: "Where is my order?",
	}})
	require.NoError(t, err)
	conv := res.Items[0].ConversationID

	env.Sender.FailNext(fmt.Errorf("provider busy: %w", inbox.ErrTemporary))
	ctx, cancel := context.WithCancel(env.Ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- env.Engine.RunOutbox(ctx, time.Minute) }()
	require.NoError(t, env.Clock.BlockUntil(ctx, 1), "the worker waits on the clock")

	_, err = env.Engine.Reply(env.Ctx, env.Tenant, conv, inbox.ReplyRequest{Text: "It ships today."}, inbox.Change{Actor: "agent-1"})
	require.NoError(t, err)
	created := env.Events.Wait(t, inboxtest.OfType(inbox.EventMessageCreated))
	require.Equal(t, inbox.DirectionOut, created.Direction)

	// The first attempt fails at once; the retry waits for the clock.
	require.Empty(t, env.Sender.WaitAttempts(t, 1))
	env.Events.Wait(t, inboxtest.OfType(inbox.EventMessageDelayed))
	env.Clock.Advance(10 * time.Minute)
	sent := env.Sender.WaitAttempts(t, 2)
	env.Events.Wait(t, inboxtest.OfType(inbox.EventMessageSent))
	require.Len(t, sent, 1)
	require.Equal(t, "It ships today.", sent[0].Message.Text)
	cancel()
	require.NoError(t, <-done)
}
