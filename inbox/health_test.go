package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// admins is an employee directory whose admins are told about failing
// integrations.
type admins []string

func (admins) EmployeeExists(context.Context, inbox.TenantID, string) (bool, error) { return true, nil }
func (a admins) TenantAdmins(context.Context, inbox.TenantID) ([]string, error)     { return a, nil }

// An integration's failures in a row make it degraded, then failing at
// FailingAfter, with the problem in plain words, when the run began and
// the next attempt; the admins are told once; a success clears it all.
func TestHealthFollowsFailuresInARow(t *testing.T) {
	mb := &fakeMailbox{err: inbox.Plainly(fmt.Errorf("imap x: connect: %w", inbox.ErrTemporary), "Nothing answers at mail.example on port 993.")}
	e := newEnv(t, inbox.Options{Employees: admins{"boss"}, Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: mb.factory()}})
	integ := e.integration(inbox.SourceEmail, nil)
	start := e.clock.Now()

	for i, want := range []string{inbox.HealthDegraded, inbox.HealthDegraded, inbox.HealthFailing, inbox.HealthFailing} {
		rep, err := e.engine.Sync(e.ctx, tenantA, integ.ID)
		require.ErrorIs(t, err, inbox.ErrTemporary)
		require.Equal(t, "Nothing answers at mail.example on port 993.", rep.Problem)
		health, err := e.engine.Health(e.ctx, tenantA)
		require.NoError(t, err)
		h := health[0]
		require.Equal(t, want, h.State, "after %d failures", i+1)
		require.Equal(t, i+1, h.Failures)
		require.Equal(t, "Nothing answers at mail.example on port 993.", h.Problem)
		require.Equal(t, start, h.FailingSince)
		require.Equal(t, e.clock.Now(), rep.FinishedAt)
		// The interval (a minute without Run) doubled per failure, ±10%.
		wait := time.Minute << (i + 1)
		require.InDelta(t, float64(wait), float64(h.NextAttempt.Sub(rep.FinishedAt)), float64(wait)/10+1)
		e.clock.Advance(time.Minute)
	}
	notes, err := e.engine.Notifications(e.ctx, tenantA, inbox.NotificationQuery{UserID: "boss"})
	require.NoError(t, err)
	require.Len(t, notes, 1)
	require.Equal(t, inbox.NotificationIntegrationFailing, notes[0].Kind)
	require.Contains(t, notes[0].Text, "has failed 3 times in a row since 11 Mar 09:00 UTC: Nothing answers at mail.example on port 993.")

	mb.mu.Lock()
	mb.err = nil
	mb.mu.Unlock()
	_, err = e.engine.Sync(e.ctx, tenantA, integ.ID)
	require.NoError(t, err)
	health, err := e.engine.Health(e.ctx, tenantA)
	require.NoError(t, err)
	require.Equal(t, inbox.HealthOK, health[0].State)
	require.Zero(t, health[0].Failures)
	require.Empty(t, health[0].Problem)
	require.True(t, health[0].NextAttempt.IsZero())
}

// Refused credentials make an integration failing at once, with no next
// attempt until its settings change, and tell the admins.
func TestRefusedCredentialsFailAtOnce(t *testing.T) {
	mb := &fakeMailbox{err: fmt.Errorf("imap x: login: %w", inbox.ErrUnauthorized)}
	e := newEnv(t, inbox.Options{Employees: admins{"boss"}, Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: mb.factory()}})
	integ := e.integration(inbox.SourceEmail, nil)
	rep, err := e.engine.Sync(e.ctx, tenantA, integ.ID)
	require.ErrorIs(t, err, inbox.ErrUnauthorized)
	require.Equal(t, "The service refused the account's credentials: check them in the integration's settings.", rep.Problem)
	require.True(t, rep.NextAttempt.IsZero())
	in, err := e.engine.Integration(e.ctx, tenantA, integ.ID)
	require.NoError(t, err)
	require.Equal(t, inbox.HealthFailing, inbox.HealthState(in))
	notes, err := e.engine.Notifications(e.ctx, tenantA, inbox.NotificationQuery{UserID: "boss"})
	require.NoError(t, err)
	require.Len(t, notes, 1)
	require.Contains(t, notes[0].Text, "It will be tried again once its settings are changed.")
}

// Settings the channel cannot open with are a failure in the health too,
// named by their label, not only a line in the log.
func TestChannelThatCannotOpenIsUnhealthy(t *testing.T) {
	factory := func(context.Context, inbox.Integration, inbox.SecretFunc) (inbox.Channel, error) {
		return nil, fmt.Errorf("email integration: %w", inbox.Invalid("config.imap_port", "must be a port number"))
	}
	schema := inbox.IntegrationSchema{Fields: []inbox.IntegrationField{{Name: "imap_port", Label: "IMAP port"}}}
	e := newEnv(t, inbox.Options{Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: factory},
		Schemas: map[inbox.Source]inbox.IntegrationSchema{inbox.SourceEmail: schema}})
	integ := e.integration(inbox.SourceEmail, nil)
	rep, err := e.engine.Sync(e.ctx, tenantA, integ.ID)
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.Equal(t, "A setting needs attention: IMAP port must be a port number.", rep.Problem)
	in, err := e.engine.Integration(e.ctx, tenantA, integ.ID)
	require.NoError(t, err)
	require.Equal(t, inbox.HealthDegraded, inbox.HealthState(in))
}

func TestPlainText(t *testing.T) {
	for err, want := range map[error]string{
		inbox.Plainly(errors.New("x"), "Said plainly."):             "Said plainly.",
		fmt.Errorf("a: %w", inbox.ErrUnauthorized):                  "The service refused the account's credentials: check them in the integration's settings.",
		fmt.Errorf("a: %w", context.DeadlineExceeded):               "The service did not answer in time.",
		fmt.Errorf("dial tcp 10.0.0.1:993: %w", inbox.ErrTemporary): "The service could not be reached.",
		errors.New("weird"): "Something went wrong while talking to the service.",
	} {
		require.Equal(t, want, inbox.PlainText(err))
	}
	require.Empty(t, inbox.PlainText(nil))
}
