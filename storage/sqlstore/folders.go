package sqlstore

import (
	"fmt"

	"github.com/inboxkit/inboxkit/inbox"
)

// CreateFolder stores a new folder.
func (t *tx) CreateFolder(f *inbox.Folder) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if f.Name == "" {
		return fmt.Errorf("create folder: %w", inbox.Invalid("folder.name", "is required"))
	}
	if err := t.own("folder", &f.TenantID, true); err != nil {
		return err
	}
	t.stamp(&f.ID, &f.CreatedAt, &f.UpdatedAt, &f.Version)
	doc, err := encode(f)
	if err != nil {
		return err
	}
	return t.insert("folder", "folders", []string{"id", "name", "position", "created_at", "version", "doc"},
		f.ID, f.Name, f.Position, nanos(f.CreatedAt), f.Version, doc)
}

// UpdateFolder replaces a folder if its version is current.
func (t *tx) UpdateFolder(f *inbox.Folder) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if err := requireID("folder", f.ID); err != nil {
		return err
	}
	if f.Name == "" {
		return fmt.Errorf("update folder: %w", inbox.Invalid("folder.name", "is required"))
	}
	if err := t.own("folder", &f.TenantID, false); err != nil {
		return err
	}
	next := *f
	next.Version++
	doc, err := encode(next)
	if err != nil {
		return err
	}
	if err := t.updateVersioned("folder", "folders", f.ID, f.Version, []string{"name", "position", "doc"}, f.Name, f.Position, doc); err != nil {
		return err
	}
	f.Version++
	return nil
}

// GetFolder returns ErrNotFound for an unknown id.
func (t *tx) GetFolder(id string) (inbox.Folder, error) {
	var f inbox.Folder
	return f, t.getDoc("folder", "folders", id, &f)
}

// ListFolders orders by Position, then Name.
func (t *tx) ListFolders() ([]inbox.Folder, error) {
	return queryDocs[inbox.Folder](t, "list folders", `SELECT doc, created_at FROM folders WHERE tenant_id = ? ORDER BY position, name, id`, string(t.tenant))
}

// DeleteFolder removes a folder and unfiles its conversations (a new
// version of each).
func (t *tx) DeleteFolder(id string) error {
	if err := t.usable(true); err != nil {
		return err
	}
	res, err := t.exec("delete folder", `DELETE FROM folders WHERE tenant_id = ? AND id = ?`, string(t.tenant), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete folder %q: %w", id, inbox.ErrNotFound)
	}
	t.convRows = nil // the rows below change behind them
	_, err = t.exec("unfile conversations", `UPDATE conversations SET folder_id = '', version = version + 1 WHERE tenant_id = ? AND folder_id = ?`, string(t.tenant), id)
	return err
}
