package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/inboxkit/inboxkit/inbox"
)

// The cursor, status and last sync report live in their own columns so
// that sync progress and admin edits never overwrite each other.
const integrationCols = `doc, cursor, status, last_sync, created_at`

// CreateIntegration stores a new integration.
func (t *tx) CreateIntegration(in *inbox.Integration) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if !in.Kind.Valid() {
		return fmt.Errorf("create integration: %w", inbox.Invalid("integration.kind", fmt.Sprintf("%q is not email, sms, whatsapp or webhook", in.Kind)))
	}
	if err := t.own("integration", &in.TenantID, true); err != nil {
		return err
	}
	t.stamp(&in.ID, &in.CreatedAt, &in.UpdatedAt, &in.Version)
	doc, err := encode(in)
	if err != nil {
		return err
	}
	last, err := encode(in.LastSync)
	if err != nil {
		return err
	}
	return t.insert("integration", "integrations", []string{"id", "name", "created_at", "version", "cursor", "status", "last_sync", "doc"},
		in.ID, in.Name, nanos(in.CreatedAt), in.Version, in.Cursor, in.Status, string(last), doc)
}

// UpdateIntegration replaces an integration's settings (not its sync state).
func (t *tx) UpdateIntegration(in *inbox.Integration) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if err := requireID("integration", in.ID); err != nil {
		return err
	}
	if !in.Kind.Valid() {
		return fmt.Errorf("update integration: %w", inbox.Invalid("integration.kind", fmt.Sprintf("%q is not a source", in.Kind)))
	}
	if err := t.own("integration", &in.TenantID, false); err != nil {
		return err
	}
	next := *in
	next.Version++
	doc, err := encode(next)
	if err != nil {
		return err
	}
	if err := t.updateVersioned("integration", "integrations", in.ID, in.Version, []string{"name", "doc"}, in.Name, doc); err != nil {
		return err
	}
	stored, err := t.GetIntegration(in.ID)
	if err != nil {
		return err
	}
	// The caller's value shows the sync state it did not write.
	in.Version, in.Cursor, in.Status, in.LastSync, in.CreatedAt = stored.Version, stored.Cursor, stored.Status, stored.LastSync, stored.CreatedAt
	return nil
}

// SetIntegrationCursor stores a sync position without a version check.
func (t *tx) SetIntegrationCursor(id, cursor string) error {
	if err := t.usable(true); err != nil {
		return err
	}
	return t.updatePlain("integration", "integrations", id, []string{"cursor"}, cursor)
}

// SetIntegrationStatus records the outcome of a sync run.
func (t *tx) SetIntegrationStatus(id, status string, report inbox.SyncReport) error {
	if err := t.usable(true); err != nil {
		return err
	}
	last, err := encode(report)
	if err != nil {
		return err
	}
	return t.updatePlain("integration", "integrations", id, []string{"status", "last_sync"}, status, string(last))
}

// GetIntegration returns ErrNotFound for an unknown id.
func (t *tx) GetIntegration(id string) (inbox.Integration, error) {
	rows, err := t.query("get integration", `SELECT `+integrationCols+` FROM integrations WHERE tenant_id = ? AND id = ?`, string(t.tenant), id)
	if err != nil {
		return inbox.Integration{}, err
	}
	list, err := t.scanIntegrations(rows)
	if err != nil {
		return inbox.Integration{}, err
	}
	if len(list) == 0 {
		return inbox.Integration{}, fmt.Errorf("integration %q: %w", id, inbox.ErrNotFound)
	}
	return list[0], nil
}

// ListIntegrations returns the tenant's integrations in creation order.
func (t *tx) ListIntegrations() ([]inbox.Integration, error) {
	rows, err := t.query("list integrations", `SELECT `+integrationCols+` FROM integrations WHERE tenant_id = ? ORDER BY name, id`, string(t.tenant))
	if err != nil {
		return nil, err
	}
	return t.scanIntegrations(rows)
}

// DeleteIntegration removes an integration; its messages stay.
func (t *tx) DeleteIntegration(id string) error {
	if err := t.usable(true); err != nil {
		return err
	}
	res, err := t.exec("delete integration", `DELETE FROM integrations WHERE tenant_id = ? AND id = ?`, string(t.tenant), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete integration %q: %w", id, inbox.ErrNotFound)
	}
	return nil
}

func (t *tx) scanIntegrations(rows *sql.Rows) ([]inbox.Integration, error) {
	defer rows.Close()
	var out []inbox.Integration
	for rows.Next() {
		var doc, last []byte
		var in inbox.Integration
		var cursor, status string
		var created int64
		if err := rows.Scan(&doc, &cursor, &status, &last, &created); err != nil {
			return nil, t.s.wrap("scan integration", err)
		}
		if err := decode(doc, &in); err != nil {
			return nil, err
		}
		in.Cursor, in.Status, in.LastSync = cursor, status, inbox.SyncReport{}
		if err := decode(last, &in.LastSync); err != nil {
			return nil, err
		}
		setCreated(&in, created)
		out = append(out, in)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, t.s.wrap("list integrations", err)
	}
	return out, nil
}
