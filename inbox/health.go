package inbox

import (
	"context"
	"fmt"
	"time"
)

// IntegrationHealth is the state of one integration as operators need it.
type IntegrationHealth struct {
	IntegrationID string `json:"integration_id"`
	Name          string `json:"name"`
	Kind          Source `json:"kind"`
	Enabled       bool   `json:"enabled"`
	Status        string `json:"status"` // ok, auth_failed, error, "" (never synced)
	// State is HealthOK, HealthDegraded, HealthFailing or HealthDisabled.
	State string `json:"state"`
	// Problem is the last failure in plain words; FailingSince when the
	// failures in a row began; NextAttempt when the scheduler tries
	// again (zero: once the settings change).
	Problem       string        `json:"problem,omitempty"`
	Failures      int           `json:"failures,omitempty"`
	FailingSince  time.Time     `json:"failing_since,omitzero"`
	NextAttempt   time.Time     `json:"next_attempt,omitzero"`
	LastSyncAt    time.Time     `json:"last_sync_at"`
	LastSuccessAt time.Time     `json:"last_success_at"`
	LastError     string        `json:"last_error,omitempty"`
	Lag           time.Duration `json:"lag"` // time since the last successful sync
	LastSync      SyncReport    `json:"last_sync"`
}

// Health reports every integration of a tenant.
func (e *Engine) Health(ctx context.Context, tenant TenantID) ([]IntegrationHealth, error) {
	var integs []Integration
	if err := e.viewTx(ctx, tenant, func(tx storeTx) error {
		var err error
		integs, err = tx.ListIntegrations()
		return err
	}); err != nil {
		return nil, fmt.Errorf("health of tenant %q: %w", tenant, err)
	}
	now := e.clock.Now()
	out := make([]IntegrationHealth, 0, len(integs))
	for _, in := range integs {
		h := IntegrationHealth{IntegrationID: in.ID, Name: in.Name, Kind: in.Kind, Enabled: in.Enabled,
			Status: in.Status, LastSyncAt: in.LastSync.FinishedAt, LastSync: in.LastSync, State: HealthState(in)}
		if in.Status != IntegrationOK && in.Status != "" {
			h.Problem, h.Failures = in.LastSync.Problem, in.LastSync.Failures
			h.FailingSince, h.NextAttempt = in.LastSync.FailingSince, in.LastSync.NextAttempt
		}
		if len(in.LastSync.Errors) > 0 {
			h.LastError = in.LastSync.Errors[len(in.LastSync.Errors)-1]
		}
		if in.Status == IntegrationOK {
			h.LastSuccessAt = in.LastSync.FinishedAt
		}
		e.successMu.Lock()
		if t := e.lastSuccess[tenant.key()+in.ID]; t.After(h.LastSuccessAt) {
			h.LastSuccessAt = t
		}
		e.successMu.Unlock()
		if !h.LastSuccessAt.IsZero() {
			h.Lag = now.Sub(h.LastSuccessAt)
		}
		out = append(out, h)
	}
	return out, nil
}

// Health states of an integration (IntegrationHealth.State).
const (
	// HealthOK: its last sync succeeded, or it has not needed one yet.
	HealthOK = "ok"
	// HealthDegraded: its last syncs failed, fewer than FailingAfter in a
	// row; it is being retried.
	HealthDegraded = "degraded"
	// HealthFailing: FailingAfter syncs or more failed in a row, or the
	// service refused its credentials (it waits for new settings).
	HealthFailing = "failing"
	// HealthDisabled: switched off.
	HealthDisabled = "disabled"
)

// FailingAfter is how many failed syncs in a row make an integration
// failing; the admins are notified when it is reached.
const FailingAfter = 3

// NotificationIntegrationFailing is the kind of the notification the
// admins get when an integration starts failing.
const NotificationIntegrationFailing = "integration.failing"

// HealthState is in's state: HealthOK, HealthDegraded, HealthFailing or
// HealthDisabled.
func HealthState(in Integration) string {
	switch {
	case !in.Enabled:
		return HealthDisabled
	case in.Status == IntegrationAuthFailed, in.Status != IntegrationOK && in.LastSync.Failures >= FailingAfter:
		return HealthFailing
	case in.Status != IntegrationOK && in.Status != "":
		return HealthDegraded
	}
	return HealthOK
}

// failingText is the notification that in has started failing.
func failingText(in Integration, r SyncReport) string {
	if r.NextAttempt.IsZero() {
		return fmt.Sprintf("%s stopped working at %s: %s It will be tried again once its settings are changed.",
			in.Name, r.FailingSince.UTC().Format("2 Jan 15:04 MST"), r.Problem)
	}
	return fmt.Sprintf("%s has failed %d times in a row since %s: %s Next try at %s.",
		in.Name, r.Failures, r.FailingSince.UTC().Format("2 Jan 15:04 MST"), r.Problem, r.NextAttempt.UTC().Format("15:04 MST"))
}

// syncEvery is the sync interval of the running Run, or the default.
func (e *Engine) syncEvery() time.Duration {
	if d := time.Duration(e.syncInterval.Load()); d > 0 {
		return d
	}
	return time.Minute
}

// schemaOf is the declared schema of kind, or nil.
func (e *Engine) schemaOf(kind Source) *IntegrationSchema {
	if s, ok := e.schemas[kind]; ok {
		return &s
	}
	return nil
}

// admins lists the tenant's admins when the employee directory can
// (AdminLister); nil otherwise.
func (e *Engine) admins(ctx context.Context, tenant TenantID) []string {
	l, ok := e.employees.(AdminLister)
	if !ok {
		return nil
	}
	admins, err := l.TenantAdmins(ctx, tenant)
	if err != nil {
		e.log.Warn("inbox: list admins", "tenant", string(tenant), "err", err)
	}
	return admins
}
