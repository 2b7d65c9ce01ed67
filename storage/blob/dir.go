package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"syscall"

	"github.com/inboxkit/inboxkit/inbox"
)

// DirStore is an inbox.BlobStore keeping each blob as a file under one
// directory, opened as an os.Root so no key and no symbolic link can
// reach outside it. It is safe for concurrent use; concurrent Puts of one
// key leave one of the values whole.
type DirStore struct {
	root *os.Root
}

var _ inbox.BlobStore = (*DirStore)(nil)

// copyBufferSize is the chunk Put streams with; memory use of a Put does
// not grow with the blob's size.
const copyBufferSize = 64 << 10

// Dir opens (creating it with mode 0700 if needed) the directory at
// dirPath as a blob store. Close releases it.
func Dir(dirPath string) (*DirStore, error) {
	if dirPath == "" {
		return nil, fmt.Errorf("blob: %w", inbox.Invalid("dir", "empty path"))
	}
	if err := os.MkdirAll(dirPath, 0o700); err != nil {
		return nil, fmt.Errorf("blob: create %s: %w", dirPath, err)
	}
	root, err := os.OpenRoot(dirPath)
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", dirPath, err)
	}
	return &DirStore{root: root}, nil
}

// Close releases the directory handle.
func (d *DirStore) Close() error { return d.root.Close() }

// Put streams r into a temporary file next to key, syncs it and renames it
// over key, so the value appears whole or not at all. Parent directories
// are created as needed. A key whose path is already used as a directory,
// or runs through a file, fails with inbox.ErrConflict.
func (d *DirStore) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := ValidateKey(key); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	parent := path.Dir(key)
	if err := d.root.MkdirAll(parent, 0o700); err != nil {
		if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist) {
			return 0, fmt.Errorf("blob: put %s: a parent is a blob: %w", key, inbox.ErrConflict)
		}
		return 0, fmt.Errorf("blob: put %s: %w", key, err)
	}
	tmp := path.Join(parent, ".tmp-"+randomSuffix())
	f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("blob: put %s: %w", key, err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = f.Close()
			_ = d.root.Remove(tmp)
		}
	}()
	n, err := io.CopyBuffer(onlyWriter{f}, contextReader{ctx: ctx, r: r}, make([]byte, copyBufferSize))
	if err != nil {
		return 0, fmt.Errorf("blob: put %s: after %d bytes: %w", key, n, err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("blob: put %s: sync: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("blob: put %s: close: %w", key, err)
	}
	if err := d.root.Rename(tmp, key); err != nil {
		_ = d.root.Remove(tmp)
		committed = true // closed and removed above
		if errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, fs.ErrExist) {
			return 0, fmt.Errorf("blob: put %s: key is a prefix of other keys: %w", key, inbox.ErrConflict)
		}
		return 0, fmt.Errorf("blob: put %s: rename: %w", key, err)
	}
	committed = true
	// Persist the rename itself: sync the directory holding the new entry.
	if err := d.syncDir(parent); err != nil {
		return n, fmt.Errorf("blob: put %s: sync directory: %w", key, err)
	}
	return n, nil
}

// Get opens the file under key, or returns an error wrapping
// inbox.ErrNotFound when there is none (a directory is not a blob).
func (d *DirStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := d.root.Open(key)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, fmt.Errorf("blob: get %s: %w", key, inbox.ErrNotFound)
		}
		return nil, fmt.Errorf("blob: get %s: %w", key, err)
	}
	info, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("blob: get %s: %w", key, err)
	}
	if !info.Mode().IsRegular() {
		_ = f.Close()
		return nil, fmt.Errorf("blob: get %s: %w", key, inbox.ErrNotFound)
	}
	return f, nil
}

// Delete removes the file under key; a missing key is not an error. Empty
// parent directories are kept: removing them would race with a concurrent
// Put into the same prefix.
func (d *DirStore) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	info, err := d.root.Lstat(key)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	if info.IsDir() {
		return nil // a prefix of other keys, not a blob
	}
	if err := d.root.Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	return nil
}

func (d *DirStore) syncDir(name string) error {
	dir, err := d.root.Open(name)
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

func randomSuffix() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24
	return hex.EncodeToString(b[:])
}

// onlyWriter hides *os.File's ReadFrom so io.CopyBuffer uses our buffer
// and checks the context between chunks.
type onlyWriter struct{ w io.Writer }

func (o onlyWriter) Write(p []byte) (int, error) { return o.w.Write(p) }
