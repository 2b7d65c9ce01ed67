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
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// DirStore is an inbox.BlobStore keeping each blob as a file under one
// directory, opened as an os.Root so no key and no symbolic link can
// reach outside it. It is safe for concurrent use; concurrent Puts of one
// key leave one of the values whole.
//
// Put makes each blob durable before it returns. Stage and Sync
// (inbox.BlobBatcher) make a batch of blobs durable in one go: Stage
// writes a temporary file without syncing it, and Sync flushes the
// filesystem once, then renames the staged files to their keys and syncs
// the directories that hold them.
type DirStore struct {
	root *os.Root
	// dot is the root directory, open for as long as the store: syncfs(2)
	// reports the filesystem's write errors since the descriptor was
	// opened, so errors writing out a blob staged long before a Sync are
	// not missed.
	dot *os.File

	// mu guards staged, which maps the key of each blob staged and not
	// yet synced to its temporary file.
	mu     sync.Mutex
	staged map[string]string
	// syncMu runs one Sync at a time, so a Sync never returns while
	// another is still making one of its blobs durable.
	syncMu sync.Mutex

	// dirs caches the directories blobs are written in ("tenant/kind":
	// a few per tenant), open as roots of their own: opening a file
	// through the store's root resolves each component of its path
	// safely, about 13 times the cost of a create in an open directory.
	dirsMu sync.Mutex
	dirs   map[string]*os.Root
}

// maxOpenDirs bounds the directories DirStore keeps open.
const maxOpenDirs = 256

// dir returns the directory parent open as a root, creating it when
// needed. A cached directory removed from the disk since (its link count
// is 0) is opened again, so no blob is ever written into a deleted
// directory.
func (d *DirStore) dir(parent string) (*os.Root, error) {
	d.dirsMu.Lock()
	defer d.dirsMu.Unlock()
	if r, ok := d.dirs[parent]; ok {
		if linked(r) {
			return r, nil
		}
		_ = r.Close()
		delete(d.dirs, parent)
	}
	if err := d.root.MkdirAll(parent, 0o700); err != nil {
		return nil, err
	}
	r, err := d.root.OpenRoot(parent)
	if err != nil {
		return nil, err
	}
	if len(d.dirs) >= maxOpenDirs {
		for k, old := range d.dirs {
			_ = old.Close()
			delete(d.dirs, k)
		}
	}
	d.dirs[parent] = r
	return r, nil
}

// linked reports whether the directory r is still linked in the
// filesystem.
func linked(r *os.Root) bool {
	info, err := r.Stat(".")
	if err != nil {
		return false
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Nlink > 0
	}
	return true
}

var (
	_ inbox.BlobStore   = (*DirStore)(nil)
	_ inbox.BlobBatcher = (*DirStore)(nil)
)

// copyBufferSize is the chunk Put streams with; memory use of a Put does
// not grow with the blob's size.
const copyBufferSize = 64 << 10

// copyBuffers recycles the copy buffers of Put and Stage: a mail sync
// writes thousands of blobs, and a fresh buffer each is garbage to clear
// and collect.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, copyBufferSize); return &b }}

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
	dot, err := root.Open(".")
	if err != nil {
		_ = root.Close()
		return nil, fmt.Errorf("blob: open %s: %w", dirPath, err)
	}
	return &DirStore{root: root, dot: dot, staged: map[string]string{}, dirs: map[string]*os.Root{}}, nil
}

// Close removes the temporary files of blobs staged and never synced,
// which were never promised to last, and releases the directory handle.
func (d *DirStore) Close() error {
	d.mu.Lock()
	for key, tmp := range d.staged {
		_ = d.root.Remove(tmp)
		delete(d.staged, key)
	}
	d.mu.Unlock()
	d.dirsMu.Lock()
	for k, r := range d.dirs {
		_ = r.Close()
		delete(d.dirs, k)
	}
	d.dirsMu.Unlock()
	return errors.Join(d.dot.Close(), d.root.Close())
}

// tempPrefix starts the names of the temporary files of Put and Stage.
const tempPrefix = ".tmp-"

// RemoveLeftovers deletes temporary files older than olderThan that no
// Stage of this store is waiting to Sync: what a process killed in the
// middle of a Put, or between a Stage and its Sync, left behind. Their
// blobs were never acknowledged, so nothing refers to them. It returns
// how many it removed; run it at start-up, or now and then, with an age
// well above the longest sync (an hour is plenty).
func (d *DirStore) RemoveLeftovers(ctx context.Context, olderThan time.Duration) (int, error) {
	d.mu.Lock()
	pending := make(map[string]bool, len(d.staged))
	for _, tmp := range d.staged {
		pending[tmp] = true
	}
	d.mu.Unlock()
	cutoff := time.Now().Add(-olderThan)
	removed := 0
	err := fs.WalkDir(d.root.FS(), ".", func(name string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() || !strings.HasPrefix(e.Name(), tempPrefix) || pending[name] {
			return nil
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // renamed or removed meanwhile
		}
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() || !info.ModTime().Before(cutoff) {
			return nil
		}
		if err := d.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		removed++
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("blob: remove leftovers: %w", err)
	}
	return removed, nil
}

// Put streams r into a temporary file next to key, syncs it and renames it
// over key, so the value appears whole or not at all. Parent directories
// are created as needed. A key whose path is already used as a directory,
// or runs through a file, fails with inbox.ErrConflict.
func (d *DirStore) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	parent, tmp, n, err := d.writeTemp(ctx, key, r, true)
	if err != nil {
		return 0, err
	}
	// A value staged earlier must not be renamed over this newer one.
	d.unstage(key)
	if err := d.rename(tmp, key); err != nil {
		return 0, err
	}
	// Persist the rename itself: sync the directory holding the new entry.
	if err := d.syncDir(parent); err != nil {
		return n, fmt.Errorf("blob: put %s: sync directory: %w", key, err)
	}
	return n, nil
}

// Stage streams r into a temporary file next to key without syncing it;
// Get and Delete see the value at once, and Sync makes it durable under
// key. Until then a crash or a power failure may lose it, but never leaves
// part of it under key. Errors are those of Put.
func (d *DirStore) Stage(ctx context.Context, key string, r io.Reader) (int64, error) {
	_, tmp, n, err := d.writeTemp(ctx, key, r, false)
	if err != nil {
		return 0, err
	}
	if info, err := d.root.Lstat(key); err == nil && info.IsDir() {
		_ = d.root.Remove(tmp)
		return 0, fmt.Errorf("blob: stage %s: key is a prefix of other keys: %w", key, inbox.ErrConflict)
	}
	d.mu.Lock()
	old, ok := d.staged[key]
	d.staged[key] = tmp
	d.mu.Unlock()
	if ok {
		_ = d.root.Remove(old)
	}
	return n, nil
}

// Sync makes durable every blob whose Stage returned before the call: one
// flush of the filesystem's data (syncfs(2) on Linux, a sync of each file
// elsewhere), then each staged file is renamed to its key and the
// directories holding them are synced. A blob whose rename fails is
// dropped and reported; the others are still made durable.
func (d *DirStore) Sync(ctx context.Context) error {
	d.syncMu.Lock()
	defer d.syncMu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	batch := make(map[string]string, len(d.staged))
	for key, tmp := range d.staged {
		batch[key] = tmp
	}
	d.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := d.flushFiles(batch); err != nil {
		return fmt.Errorf("blob: sync %d staged blobs: %w", len(batch), err)
	}
	var errs []error
	dirs := map[string]bool{}
	d.mu.Lock()
	for key, tmp := range batch {
		if d.staged[key] != tmp {
			continue // deleted or staged again since
		}
		delete(d.staged, key)
		if err := d.rename(tmp, key); err != nil {
			errs = append(errs, err)
			continue
		}
		// The directories up to the root: Stage may have created them.
		for dir := path.Dir(key); !dirs[dir]; dir = path.Dir(dir) {
			dirs[dir] = true
			if dir == "." {
				break
			}
		}
	}
	d.mu.Unlock()
	for dir := range dirs {
		if err := d.syncDir(dir); err != nil {
			errs = append(errs, fmt.Errorf("blob: sync directory %s: %w", dir, err))
		}
	}
	return errors.Join(errs...)
}

// syncEachFile syncs the data of each staged file still there.
func (d *DirStore) syncEachFile(batch map[string]string) error {
	for _, tmp := range batch {
		f, err := d.root.Open(tmp)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted since: Sync will skip it
		}
		if err != nil {
			return err
		}
		err = f.Sync()
		_ = f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// writeTemp streams r into a new temporary file in key's directory,
// creating the directories as needed, and syncs it when durable is set.
// On error nothing is left behind.
func (d *DirStore) writeTemp(ctx context.Context, key string, r io.Reader, durable bool) (parent, tmp string, n int64, err error) {
	if err := ValidateKey(key); err != nil {
		return "", "", 0, err
	}
	if err := ctx.Err(); err != nil {
		return "", "", 0, err
	}
	parent = path.Dir(key)
	dir, err := d.dir(parent)
	if err != nil {
		if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist) {
			return "", "", 0, fmt.Errorf("blob: put %s: a parent is a blob: %w", key, inbox.ErrConflict)
		}
		return "", "", 0, fmt.Errorf("blob: put %s: %w", key, err)
	}
	base := tempPrefix + randomSuffix()
	name := path.Join(parent, base)
	f, err := dir.OpenFile(base, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", "", 0, fmt.Errorf("blob: put %s: %w", key, err)
	}
	done := false
	defer func() {
		if !done {
			_ = f.Close()
			_ = d.root.Remove(name)
		}
	}()
	buf := copyBuffers.Get().(*[]byte)
	n, err = io.CopyBuffer(onlyWriter{f}, contextReader{ctx: ctx, r: r}, *buf)
	copyBuffers.Put(buf)
	if err != nil {
		return "", "", 0, fmt.Errorf("blob: put %s: after %d bytes: %w", key, n, err)
	}
	if durable {
		if err := f.Sync(); err != nil {
			return "", "", 0, fmt.Errorf("blob: put %s: sync: %w", key, err)
		}
	}
	done = true
	if err := f.Close(); err != nil {
		_ = d.root.Remove(name)
		return "", "", 0, fmt.Errorf("blob: put %s: close: %w", key, err)
	}
	return parent, name, n, nil
}

// rename moves a written temporary file to key, removing it on failure.
func (d *DirStore) rename(tmp, key string) error {
	err := d.root.Rename(tmp, key)
	if err == nil {
		return nil
	}
	_ = d.root.Remove(tmp)
	if errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("blob: put %s: key is a prefix of other keys: %w", key, inbox.ErrConflict)
	}
	return fmt.Errorf("blob: put %s: rename: %w", key, err)
}

// unstage forgets the staged value of key, if any, and removes its file.
func (d *DirStore) unstage(key string) {
	d.mu.Lock()
	tmp, ok := d.staged[key]
	delete(d.staged, key)
	d.mu.Unlock()
	if ok {
		_ = d.root.Remove(tmp)
	}
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
	d.mu.Lock()
	tmp, staged := d.staged[key]
	d.mu.Unlock()
	if staged {
		// A Sync renaming it meanwhile makes this fail: then read key.
		if f, err := d.root.Open(tmp); err == nil {
			return f, nil
		}
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
	d.unstage(key)
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

var _ inbox.BlobLister = (*DirStore)(nil)

// ListBlobs calls fn with the key of every blob whose key starts with
// prefix. Temporary files (blobs being written, or staged and not yet
// synced) are left out, as are directories.
func (d *DirStore) ListBlobs(ctx context.Context, prefix string, fn func(key string) error) error {
	dir := "."
	if i := strings.LastIndexByte(prefix, '/'); i > 0 {
		dir = prefix[:i]
	}
	if dir != "." {
		if err := ValidateKey(dir); err != nil {
			return err
		}
	}
	err := fs.WalkDir(d.root.FS(), dir, func(name string, e fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil // nothing stored under this prefix yet
		}
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() {
			// Skip subtrees that cannot hold a key with the prefix.
			if name != dir && !strings.HasPrefix(name+"/", prefix) && !strings.HasPrefix(prefix, name+"/") {
				return fs.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), tempPrefix) || !strings.HasPrefix(name, prefix) {
			return nil
		}
		return fn(name)
	})
	if err != nil {
		return fmt.Errorf("blob: list %s: %w", prefix, err)
	}
	return nil
}
