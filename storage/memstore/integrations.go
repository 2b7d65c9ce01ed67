package memstore

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/inboxkit/inboxkit/inbox"
)

func (t *tx) CreateIntegration(in *inbox.Integration) error {
	if err := inbox.CheckText("integration", in); err != nil {
		return fmt.Errorf("memstore: create integration: %w", err)
	}
	if err := t.begin("create integration", &in.TenantID, &in.ID, &in.CreatedAt, &in.UpdatedAt); err != nil {
		return err
	}
	if _, ok := t.state.integrations[in.ID]; ok {
		return conflict("create integration", in.ID)
	}
	in.Version = 1
	put(&t.undo, t.state.integrations, in.ID, cloneIntegration(*in))
	return nil
}

// UpdateIntegration writes the settings of an integration; its sync state
// (Cursor, LastSync, Status) is kept.
func (t *tx) UpdateIntegration(in *inbox.Integration) error {
	if err := inbox.CheckText("integration", in); err != nil {
		return fmt.Errorf("memstore: update integration: %w", err)
	}
	if err := t.write("update integration"); err != nil {
		return err
	}
	if err := t.ownExisting("integration", in.ID, &in.TenantID); err != nil {
		return err
	}
	cur, ok := t.state.integrations[in.ID]
	if !ok {
		return notFound("integration", in.ID)
	}
	if in.Version != cur.Version {
		return staleVersion("integration", in.ID, in.Version, cur.Version)
	}
	next := cloneIntegration(*in)
	next.Cursor, next.LastSync, next.Status = cur.Cursor, cur.LastSync, cur.Status
	next.CreatedAt = cur.CreatedAt
	next.Version = cur.Version + 1
	put(&t.undo, t.state.integrations, in.ID, next)
	in.Version = next.Version
	return nil
}

func (t *tx) SetIntegrationCursor(id, cursor string) error {
	if err := t.write("set integration cursor"); err != nil {
		return err
	}
	cur, ok := t.state.integrations[id]
	if !ok {
		return notFound("integration", id)
	}
	cur.Cursor = cursor
	put(&t.undo, t.state.integrations, id, cur)
	return nil
}

func (t *tx) SetIntegrationStatus(id, status string, report inbox.SyncReport) error {
	if err := t.write("set integration status"); err != nil {
		return err
	}
	cur, ok := t.state.integrations[id]
	if !ok {
		return notFound("integration", id)
	}
	cur.Status, cur.LastSync = status, cloneSyncReport(report)
	put(&t.undo, t.state.integrations, id, cur)
	return nil
}

func (t *tx) GetIntegration(id string) (inbox.Integration, error) {
	if err := t.read(); err != nil {
		return inbox.Integration{}, err
	}
	in, ok := t.state.integrations[id]
	if !ok {
		return inbox.Integration{}, notFound("integration", id)
	}
	return cloneIntegration(in), nil
}

// ListIntegrations orders by name, then id.
func (t *tx) ListIntegrations() ([]inbox.Integration, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	out := make([]inbox.Integration, 0, len(t.state.integrations))
	for _, in := range t.state.integrations {
		out = append(out, cloneIntegration(in))
	}
	slices.SortFunc(out, func(a, b inbox.Integration) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (t *tx) DeleteIntegration(id string) error {
	if err := t.write("delete integration"); err != nil {
		return err
	}
	if _, ok := t.state.integrations[id]; !ok {
		return notFound("integration", id)
	}
	del(&t.undo, t.state.integrations, id)
	return nil
}
