package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// RawParser turns a raw message back into an Inbound, so a message that
// was quarantined because it could not be parsed can be replayed once the
// parser is fixed. The email channel provides one.
type RawParser interface {
	ParseRaw(ctx context.Context, tenant TenantID, integrationID string, raw io.Reader) (Inbound, error)
}

// Replay ingests a quarantined message again: re-parsed from its raw bytes
// when a RawParser for its source is configured and the raw bytes were
// kept, otherwise from the stored Inbound. On success the item is marked
// replayed with the message it became; on failure it stays quarantined with
// the new error, and no second quarantine entry is created. Without a
// parser for a message that needs one, Replay fails with ErrUnsupported
// and leaves the item, and its original error, as they were.
func (e *Engine) Replay(ctx context.Context, tenant TenantID, quarantineID string) (IngestItem, error) {
	t, err := e.tenant(ctx, tenant)
	if err != nil {
		return IngestItem{}, fmt.Errorf("replay: %w", err)
	}
	var q QuarantineItem
	if err := e.viewTx(ctx, tenant, func(tx storeTx) error {
		q, err = tx.GetQuarantine(quarantineID)
		return err
	}); err != nil {
		return IngestItem{}, fmt.Errorf("replay %q: %w", quarantineID, err)
	}
	if !q.ReplayedAt.IsZero() {
		return IngestItem{}, fmt.Errorf("replay %q: %w", quarantineID, Invalid("quarantine", "was already replayed as message "+q.ReplayMessageID))
	}
	in, err := e.replayInbound(ctx, tenant, q)
	if errors.Is(err, ErrUnsupported) {
		return IngestItem{}, fmt.Errorf("replay %q: %w", quarantineID, err)
	}
	if err == nil {
		if p := e.prepare(t, Batch{Messages: []Inbound{in}}, 0); p.invalid != "" {
			err = fmt.Errorf("%s", p.invalid)
		}
	}
	if err != nil {
		q.Error = err.Error()
		if uerr := e.updateTx(ctx, tenant, func(tx storeTx) error { return tx.UpdateQuarantine(&q) }); uerr != nil {
			return IngestItem{}, fmt.Errorf("replay %q: %w", quarantineID, uerr)
		}
		return IngestItem{}, fmt.Errorf("replay %q: still invalid: %w", quarantineID, Invalid("message", err.Error()))
	}
	res, err := e.Ingest(ctx, tenant, []Inbound{in})
	if err != nil {
		return IngestItem{}, fmt.Errorf("replay %q: %w", quarantineID, err)
	}
	item := res.Items[0]
	q.ReplayedAt, q.ReplayMessageID = e.clock.Now(), item.MessageID
	if err := e.updateTx(ctx, tenant, func(tx storeTx) error {
		if err := tx.UpdateQuarantine(&q); err != nil {
			return err
		}
		return tx.AppendAudit(AuditEntry{TenantID: tenant, Actor: ActorSystem, Action: "quarantine.replayed", EntityType: "quarantine",
			EntityID: q.ID, ConversationID: item.ConversationID, After: mustJSON(map[string]string{"message_id": item.MessageID, "status": string(item.Status)}), At: q.ReplayedAt})
	}); err != nil {
		return item, fmt.Errorf("replay %q: mark replayed: %w", quarantineID, err)
	}
	return item, nil
}

func (e *Engine) replayInbound(ctx context.Context, tenant TenantID, q QuarantineItem) (Inbound, error) {
	var in Inbound
	if len(q.Inbound) > 0 {
		if err := json.Unmarshal(q.Inbound, &in); err != nil {
			return Inbound{}, fmt.Errorf("decode quarantined message: %w", err)
		}
	}
	parser := e.parsers[q.Source]
	if parser == nil || q.RawKey == "" || e.blobs == nil {
		if in.ParseError != "" {
			return Inbound{}, fmt.Errorf("the message needs re-reading from its raw bytes, and no %s parser (Options.Parsers) or raw copy is available: %w", q.Source, ErrUnsupported)
		}
		return in, nil
	}
	r, err := e.blobs.Get(ctx, q.RawKey)
	if err != nil {
		return Inbound{}, fmt.Errorf("open raw message: %w", err)
	}
	defer r.Close()
	parsed, err := parser.ParseRaw(ctx, tenant, q.IntegrationID, r)
	if err != nil {
		return Inbound{}, err
	}
	if parsed.ParseError != "" {
		return Inbound{}, fmt.Errorf("%s", parsed.ParseError)
	}
	if parsed.ProviderID == "" {
		parsed.ProviderID = q.ProviderID
	}
	if parsed.IntegrationID == "" {
		parsed.IntegrationID = q.IntegrationID
	}
	if parsed.RawKey == "" {
		parsed.RawKey = q.RawKey
	}
	return parsed, nil
}
