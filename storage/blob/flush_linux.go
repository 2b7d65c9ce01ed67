package blob

import "golang.org/x/sys/unix"

// flushFiles writes out the staged files' data with one syncfs(2) on the
// store's filesystem, whatever the number of files. It fails if writing
// out any data of the filesystem failed since the store was opened or
// last synced (Linux 5.8 and later report such errors).
func (d *DirStore) flushFiles(map[string]string) error {
	return unix.Syncfs(int(d.dot.Fd()))
}
