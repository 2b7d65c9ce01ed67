package memstore

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/inboxkit/inboxkit/inbox"
)

func (t *tx) CreateFolder(f *inbox.Folder) error {
	if err := inbox.CheckText("folder", f); err != nil {
		return fmt.Errorf("memstore: create folder: %w", err)
	}
	if err := t.begin("create folder", &f.TenantID, &f.ID, &f.CreatedAt, &f.UpdatedAt); err != nil {
		return err
	}
	if _, ok := t.state.folders[f.ID]; ok {
		return conflict("create folder", f.ID)
	}
	f.Version = 1
	put(&t.undo, t.state.folders, f.ID, cloneFolder(*f))
	return nil
}

func (t *tx) UpdateFolder(f *inbox.Folder) error {
	if err := inbox.CheckText("folder", f); err != nil {
		return fmt.Errorf("memstore: update folder: %w", err)
	}
	if err := t.write("update folder"); err != nil {
		return err
	}
	if err := t.ownExisting("folder", f.ID, &f.TenantID); err != nil {
		return err
	}
	cur, ok := t.state.folders[f.ID]
	if !ok {
		return notFound("folder", f.ID)
	}
	if f.Version != cur.Version {
		return staleVersion("folder", f.ID, f.Version, cur.Version)
	}
	next := cloneFolder(*f)
	next.CreatedAt = cur.CreatedAt
	next.Version = cur.Version + 1
	put(&t.undo, t.state.folders, f.ID, next)
	f.Version = next.Version
	return nil
}

func (t *tx) GetFolder(id string) (inbox.Folder, error) {
	if err := t.read(); err != nil {
		return inbox.Folder{}, err
	}
	f, ok := t.state.folders[id]
	if !ok {
		return inbox.Folder{}, notFound("folder", id)
	}
	return cloneFolder(f), nil
}

// ListFolders orders by position, name, then id.
func (t *tx) ListFolders() ([]inbox.Folder, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	out := make([]inbox.Folder, 0, len(t.state.folders))
	for _, f := range t.state.folders {
		out = append(out, cloneFolder(f))
	}
	slices.SortFunc(out, func(a, b inbox.Folder) int {
		return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// DeleteFolder unfiles the folder's conversations, incrementing their
// versions.
func (t *tx) DeleteFolder(id string) error {
	if err := t.write("delete folder"); err != nil {
		return err
	}
	if _, ok := t.state.folders[id]; !ok {
		return notFound("folder", id)
	}
	for _, ref := range slices.Clone(t.state.scan) {
		if c, cid := ref.rec, ref.id; c.FolderID == id {
			next := *c
			next.FolderID = ""
			next.Version++
			put(&t.undo, t.state.conversations, cid, &next)
			t.scanPut(&next)
		}
	}
	del(&t.undo, t.state.folders, id)
	return nil
}
