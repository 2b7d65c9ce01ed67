package inbox_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/inbox/inboxtest"
)

// fakeMailbox is a Puller over an in-memory list of messages whose cursor
// is the index of the next message.
type fakeMailbox struct {
	mu    sync.Mutex
	msgs  []inbox.Inbound
	err   error
	pulls int
}

type fakePuller struct {
	id string
	mb *fakeMailbox
}

func (p fakePuller) Kind() inbox.Source    { return inbox.SourceEmail }
func (p fakePuller) IntegrationID() string { return p.id }
func (p fakePuller) Pull(ctx context.Context, cursor string, deliver inbox.DeliverFunc) error {
	p.mb.mu.Lock()
	msgs, failure := append([]inbox.Inbound(nil), p.mb.msgs...), p.mb.err
	p.mb.pulls++
	p.mb.mu.Unlock()
	if failure != nil {
		return failure
	}
	next, _ := strconv.Atoi(cursor)
	for next < len(msgs) {
		end := min(next+2, len(msgs))
		c := strconv.Itoa(end)
		if _, err := deliver(ctx, inbox.Batch{Cursor: &c, Messages: msgs[next:end]}); err != nil {
			return err
		}
		next = end
	}
	return nil
}

func (mb *fakeMailbox) factory() inbox.ChannelFactory {
	return func(_ context.Context, in inbox.Integration, secret inbox.SecretFunc) (inbox.Channel, error) {
		return fakePuller{id: in.ID, mb: mb}, nil
	}
}

func TestSyncCommitsCursorAndReportsHealth(t *testing.T) {
	mb := &fakeMailbox{}
	for i := range 5 {
		m := email(fmt.Sprintf("u%d", i), fmt.Sprintf("c%d@x.example", i), fmt.Sprintf("Sujet %d", i), "texte")
		m.IntegrationID = "" // the engine fills in the integration being synced
		mb.msgs = append(mb.msgs, m)
	}
	e := newEnv(t, inbox.Options{Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: mb.factory()}})
	integ := e.integration(inbox.SourceEmail, nil)

	rep, err := e.engine.Sync(e.ctx, tenantA, integ.ID)
	require.NoError(t, err)
	require.Equal(t, 5, rep.Fetched)
	require.Equal(t, 5, rep.New)

	// a second sync resumes from the committed cursor: nothing refetched
	rep, err = e.engine.Sync(e.ctx, tenantA, integ.ID)
	require.NoError(t, err)
	require.Zero(t, rep.Fetched)

	mb.mu.Lock()
	mb.err = fmt.Errorf("imap login: %w", inbox.ErrUnauthorized)
	mb.mu.Unlock()
	_, err = e.engine.Sync(e.ctx, tenantA, integ.ID)
	require.ErrorIs(t, err, inbox.ErrUnauthorized)

	health, err := e.engine.Health(e.ctx, tenantA)
	require.NoError(t, err)
	require.Len(t, health, 1)
	require.Equal(t, inbox.IntegrationAuthFailed, health[0].Status)
	require.Contains(t, health[0].LastError, "imap login")
	require.False(t, health[0].LastSuccessAt.IsZero(), "the earlier success is remembered")
	require.Equal(t, int64(5), e.engine.Counters()["ingested"])

	// unknown and disabled integrations are clear errors
	_, err = e.engine.Sync(e.ctx, tenantA, "nope")
	require.ErrorIs(t, err, inbox.ErrNotFound)
	integ2 := e.integration(inbox.SourceEmail, nil)
	e.update(func(tx driver.Tx) error {
		in, err := tx.GetIntegration(integ2.ID)
		require.NoError(t, err)
		in.Enabled = false
		return tx.UpdateIntegration(&in)
	})
	_, err = e.engine.Sync(e.ctx, tenantA, integ2.ID)
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.ErrorContains(t, err, "disabled")
}

func TestRunSyncsPeriodicallyAndPausesOnAuthFailure(t *testing.T) {
	first := email("u1", "a@x.example", "Bonjour à tous", "x")
	first.IntegrationID = ""
	mb := &fakeMailbox{msgs: []inbox.Inbound{first}}
	clock := inboxtest.NewClock(time.Time{})
	e := newEnv(t, inbox.Options{Clock: clock, Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: mb.factory()}})
	integ := e.integration(inbox.SourceEmail, nil)
	stop := e.run(inbox.RunOptions{SyncInterval: time.Minute})
	// The first sync starts with Run.
	require.Eventually(t, func() bool { return e.cursor(integ.ID) == "1" }, 10*time.Second, time.Millisecond)

	mb.mu.Lock()
	mb.err = fmt.Errorf("bad password: %w", inbox.ErrUnauthorized)
	mb.mu.Unlock()
	// The next scheduled syncs (the first may still be finishing, and a
	// running sync is not started twice).
	require.Eventually(t, func() bool {
		h, err := e.engine.Health(e.ctx, tenantA)
		if err == nil && h[0].Status == inbox.IntegrationAuthFailed {
			return true
		}
		require.NoError(t, clock.Tick(e.ctx, time.Minute))
		return false
	}, 10*time.Second, time.Millisecond)
	mb.mu.Lock()
	pulls := mb.pulls
	mb.mu.Unlock()
	// Five more scheduled rounds, each finished before the next (Tick),
	// then Run stops and waits for any sync it started.
	for range 5 {
		require.NoError(t, clock.Tick(e.ctx, time.Minute))
	}
	stop()
	mb.mu.Lock()
	require.Equal(t, pulls, mb.pulls, "an integration whose credentials were refused is not retried until its settings change")
	mb.mu.Unlock()
}

func TestManualSyncRespectsAnotherInstancesLease(t *testing.T) {
	mb := &fakeMailbox{}
	e := newEnv(t, inbox.Options{Instance: "web-1", Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: mb.factory()}})
	integ := e.integration(inbox.SourceEmail, nil)
	leaser, ok := driver.Store(e.store).(driver.Leaser)
	require.True(t, ok, "memstore offers leases")
	name := "sync/" + string(tenantA) + "/" + integ.ID
	got, err := leaser.AcquireLease(e.ctx, name, "worker-2", time.Minute)
	require.NoError(t, err)
	require.True(t, got)

	_, err = e.engine.Sync(e.ctx, tenantA, integ.ID)
	require.ErrorIs(t, err, inbox.ErrConflict)
	require.ErrorContains(t, err, "another instance")
	require.Zero(t, mb.pulls, "the mailbox was not opened a second time")

	require.NoError(t, leaser.ReleaseLease(e.ctx, name, "worker-2"))
	_, err = e.engine.Sync(e.ctx, tenantA, integ.ID)
	require.NoError(t, err)
	got, err = leaser.AcquireLease(e.ctx, name, "worker-2", time.Minute)
	require.NoError(t, err)
	require.True(t, got, "the manual sync released its lease")
}
