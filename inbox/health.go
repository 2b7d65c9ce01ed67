package inbox

import (
	"context"
	"fmt"
	"time"
)

// IntegrationHealth is the state of one integration as operators need it.
type IntegrationHealth struct {
	IntegrationID string        `json:"integration_id"`
	Name          string        `json:"name"`
	Kind          Source        `json:"kind"`
	Enabled       bool          `json:"enabled"`
	Status        string        `json:"status"` // ok, auth_failed, error, "" (never synced)
	LastSyncAt    time.Time     `json:"last_sync_at"`
	LastSuccessAt time.Time     `json:"last_success_at"`
	LastError     string        `json:"last_error,omitempty"`
	Lag           time.Duration `json:"lag"` // time since the last successful sync
	LastSync      SyncReport    `json:"last_sync"`
}

// Health reports every integration of a tenant.
func (e *Engine) Health(ctx context.Context, tenant TenantID) ([]IntegrationHealth, error) {
	var integs []Integration
	if err := e.store.View(ctx, tenant, func(tx Tx) error {
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
			Status: in.Status, LastSyncAt: in.LastSync.FinishedAt, LastSync: in.LastSync}
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
