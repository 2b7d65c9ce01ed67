package blob

import "golang.org/x/sys/unix"

// flushFiles writes out the staged files' data with one syncfs(2) on the
// store's filesystem, whatever the number of files.
func (d *DirStore) flushFiles(map[string]string) error {
	dir, err := d.root.Open(".")
	if err != nil {
		return err
	}
	defer dir.Close()
	return unix.Syncfs(int(dir.Fd()))
}
