//go:build !linux

package blob

// flushFiles syncs each staged file.
func (d *DirStore) flushFiles(batch map[string]string) error { return d.syncEachFile(batch) }
