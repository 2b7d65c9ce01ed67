package inbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Integration statuses recorded after a sync.
const (
	IntegrationOK         = "ok"
	IntegrationAuthFailed = "auth_failed"
	IntegrationError      = "error"
)

// syncFlight joins concurrent syncs of one integration, so a manual sync
// during a scheduled one waits for it instead of opening a second
// connection to the mailbox.
type syncFlight struct {
	mu    sync.Mutex
	calls map[string]*syncCall
}

type syncCall struct {
	done   chan struct{}
	report SyncReport
	err    error
}

// Sync fetches new messages of one integration now and ingests them batch
// by batch, each batch committed with its cursor. A sync of the same
// integration already running is joined rather than repeated. After the
// fetch, unfiled conversations are offered to the classifier again.
//
// When the store is a Leaser, the sync holds the integration's lease (the
// one Run uses), so a mailbox is never synced by two instances at once; if
// another instance is syncing it, Sync fails with ErrConflict.
func (e *Engine) Sync(ctx context.Context, tenantID TenantID, integrationID string) (SyncReport, error) {
	report, _, err := e.syncJoined(ctx, tenantID, integrationID, true)
	return report, err
}

// manualSyncLease is the lease a manual sync takes, renewed every third.
const manualSyncLease = time.Minute

// syncJoined runs one sync of an integration per process at a time;
// takeLease is false when the caller (Run) already holds the lease. A
// caller that finds a sync running waits for it and gets its outcome with
// joined set: that sync began before the call, so it may have looked
// before mail the caller was told about arrived.
func (e *Engine) syncJoined(ctx context.Context, tenantID TenantID, integrationID string, takeLease bool) (report SyncReport, joined bool, err error) {
	key := string(tenantID) + "\x00" + integrationID
	e.flight.mu.Lock()
	if e.flight.calls == nil {
		e.flight.calls = map[string]*syncCall{}
	}
	if c, ok := e.flight.calls[key]; ok {
		e.flight.mu.Unlock()
		select {
		case <-c.done:
			return c.report, true, c.err
		case <-ctx.Done():
			return SyncReport{}, true, ctx.Err()
		}
	}
	c := &syncCall{done: make(chan struct{})}
	e.flight.calls[key] = c
	e.flight.mu.Unlock()

	c.report, c.err = e.syncUnderLease(ctx, tenantID, integrationID, takeLease)
	e.flight.mu.Lock()
	delete(e.flight.calls, key)
	e.flight.mu.Unlock()
	close(c.done)
	return c.report, false, c.err
}

// syncUnderLease takes and renews the integration's lease around a sync
// when the store is a Leaser and the caller does not already hold it.
func (e *Engine) syncUnderLease(ctx context.Context, tenantID TenantID, integrationID string, takeLease bool) (SyncReport, error) {
	leaser, ok := e.store.(leaser)
	if !takeLease || !ok {
		return e.sync(ctx, tenantID, integrationID)
	}
	name := syncLeaseName(tenantID, integrationID)
	got, err := leaser.AcquireLease(ctx, name, e.instance, manualSyncLease)
	if err != nil {
		return SyncReport{}, fmt.Errorf("sync integration %q: take lease: %w", integrationID, err)
	}
	if !got {
		return SyncReport{}, fmt.Errorf("sync integration %q: %w: it is being synced by another instance", integrationID, ErrConflict)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(manualSyncLease / 3)
		defer t.Stop()
		for {
			select {
			case <-sctx.Done():
				return
			case <-t.C:
				if ok, err := leaser.AcquireLease(sctx, name, e.instance, manualSyncLease); (err != nil || !ok) && sctx.Err() == nil {
					e.log.Warn("inbox: manual sync lost its lease", "tenant", string(tenantID), "integration", integrationID, "err", err)
					cancel()
					return
				}
			}
		}
	}()
	report, err := e.sync(sctx, tenantID, integrationID)
	cancel()
	<-renewed
	if rerr := leaser.ReleaseLease(context.WithoutCancel(ctx), name, e.instance); rerr != nil {
		e.log.Warn("inbox: release sync lease", "integration", integrationID, "err", rerr)
	}
	return report, err
}

func (e *Engine) sync(ctx context.Context, tenantID TenantID, integrationID string) (SyncReport, error) {
	defer e.intake.beginSync()()
	_, err := e.tenant(ctx, tenantID)
	if err != nil {
		return SyncReport{}, fmt.Errorf("sync: %w", err)
	}
	var in Integration
	err = e.viewTx(ctx, tenantID, func(tx storeTx) error {
		in, err = tx.GetIntegration(integrationID)
		return err
	})
	if err != nil {
		return SyncReport{}, fmt.Errorf("sync integration %q: %w", integrationID, err)
	}
	if !in.Enabled {
		return SyncReport{}, fmt.Errorf("sync integration %q: %w", integrationID, Invalid("integration", "is disabled"))
	}
	report := SyncReport{StartedAt: e.clock.Now()}
	ch, err := e.OpenChannel(ctx, in)
	if err != nil {
		if errors.Is(err, ErrUnsupported) {
			return SyncReport{}, fmt.Errorf("sync integration %q: %w", integrationID, err)
		}
		// Settings the channel cannot work with are a failure like any
		// other: shown in the integration's health, not only in the log.
		report.FinishedAt = e.clock.Now()
		e.metrics.add("syncs", 1)
		e.metrics.add("sync_errors", 1)
		report = e.recordSync(ctx, tenantID, in, report, err)
		return report, fmt.Errorf("sync integration %q: %w", integrationID, err)
	}
	puller, ok := ch.(Puller)
	if !ok {
		return SyncReport{}, fmt.Errorf("sync integration %q: %w: %s channels cannot be pulled", integrationID, ErrUnsupported, in.Kind)
	}

	deliver := func(ctx context.Context, b Batch) (IngestResult, error) {
		b.IntegrationID = in.ID
		for i := range b.Messages {
			if b.Messages[i].IntegrationID == "" {
				b.Messages[i].IntegrationID = in.ID
			}
		}
		res, err := e.IngestBatch(ctx, tenantID, b)
		if err != nil {
			return res, err
		}
		report.Fetched += len(b.Messages)
		report.New += res.Stored
		report.Duplicates += res.Duplicates
		report.Quarantined += res.Quarantined
		report.Skipped += res.Skipped
		return res, nil
	}
	start := time.Now()
	pullErr := puller.Pull(ctx, in.Cursor, deliver)
	e.metrics.observe("sync_seconds", time.Since(start), "kind", string(in.Kind))
	report.FinishedAt = e.clock.Now()
	e.metrics.add("syncs", 1)
	if pullErr == nil {
		e.successMu.Lock()
		e.lastSuccess[tenantID.key()+in.ID] = report.FinishedAt
		e.successMu.Unlock()
	} else {
		e.metrics.add("sync_errors", 1)
	}
	report = e.recordSync(ctx, tenantID, in, report, pullErr)
	if pullErr != nil {
		return report, fmt.Errorf("sync integration %q: %w", integrationID, pullErr)
	}
	return report, nil
}

// recordSync stores a sync's outcome on the integration: its status, the
// run of failures it continues or ends, the next attempt and the problem
// in plain words; the admins are told when the failures reach
// FailingAfter, or at once when the credentials were refused. It returns
// the report as recorded.
func (e *Engine) recordSync(ctx context.Context, tenantID TenantID, in Integration, report SyncReport, syncErr error) SyncReport {
	status := IntegrationOK
	if syncErr != nil {
		report.Errors = append(report.Errors, syncErr.Error())
		status = IntegrationError
		if errors.Is(syncErr, ErrUnauthorized) {
			status = IntegrationAuthFailed
			e.metrics.add("auth_failures", 1)
		}
		prev := in.LastSync
		report.Failures, report.FailingSince = 1, report.FinishedAt
		if in.Status != IntegrationOK && in.Status != "" && prev.Failures > 0 {
			report.Failures, report.FailingSince = prev.Failures+1, prev.FailingSince
		}
		if status != IntegrationAuthFailed {
			report.NextAttempt = report.FinishedAt.Add(retryDelay(e.syncEvery(), report.Failures))
		}
		report.Problem = plainText(syncErr, e.schemaOf(in.Kind))
	}
	alert := syncErr != nil && (report.Failures == FailingAfter || (status == IntegrationAuthFailed && in.Status != IntegrationAuthFailed))
	var admins []string
	if alert {
		admins = e.admins(ctx, tenantID)
	}
	// Record the outcome even if the caller's context ended mid-sync.
	if err := e.updateTx(context.WithoutCancel(ctx), tenantID, func(tx storeTx) error {
		if err := tx.SetIntegrationStatus(in.ID, status, report); err != nil {
			return err
		}
		for _, a := range admins {
			n := Notification{TenantID: tenantID, UserID: a, Kind: NotificationIntegrationFailing, Text: failingText(in, report),
				CreatedAt: report.FinishedAt}
			if err := tx.CreateNotification(&n); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		e.log.Error("inbox: record sync status", "tenant", string(tenantID), "integration", in.ID, "err", err)
		admins = nil
	}
	events := []Event{{Type: EventSyncFinished, TenantID: tenantID, IntegrationID: in.ID, Detail: status, At: report.FinishedAt}}
	if status == IntegrationAuthFailed {
		events = append(events, Event{Type: EventIntegrationPaused, TenantID: tenantID, IntegrationID: in.ID, Detail: "authentication failed", At: report.FinishedAt})
	}
	for _, a := range admins {
		events = append(events, Event{Type: EventNotification, TenantID: tenantID, IntegrationID: in.ID,
			Detail: NotificationIntegrationFailing + ":" + a, At: report.FinishedAt})
	}
	e.bus.publish(events...)
	return report
}

// OpenChannel builds the channel for an integration through the
// configured ChannelFactory, opening its secrets with the Sealer.
func (e *Engine) OpenChannel(ctx context.Context, in Integration) (Channel, error) {
	factory := e.channels[in.Kind]
	if factory == nil {
		return nil, fmt.Errorf("%w: no channel factory for %s integrations", ErrUnsupported, in.Kind)
	}
	secret := func(field string) ([]byte, error) {
		sealed, ok := in.Secrets[field]
		if !ok {
			return nil, fmt.Errorf("secret %q of integration %q: %w", field, in.ID, ErrNotFound)
		}
		if e.sealer == nil {
			return nil, fmt.Errorf("secret %q of integration %q: %w: no sealer configured", field, in.ID, ErrUnsupported)
		}
		plain, err := e.sealer.Open(ctx, sealed, SealContext{Tenant: in.TenantID, IntegrationID: in.ID, Field: field})
		if err != nil {
			return nil, fmt.Errorf("open secret %q of integration %q: %w", field, in.ID, err)
		}
		return plain, nil
	}
	return factory(ctx, in, secret)
}
