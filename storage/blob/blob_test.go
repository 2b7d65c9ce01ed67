package blob_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/blob"
	"github.com/inboxkit/inboxkit/storage/blob/blobtest"
)

func newDir(t *testing.T) (*blob.DirStore, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "blobs")
	s, err := blob.Dir(dir)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s, dir
}

func TestMemoryConformance(t *testing.T) {
	blobtest.Run(t, func(*testing.T) inbox.BlobStore { return blob.NewMemory() })
}

func TestDirConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) inbox.BlobStore {
		s, dir := newDir(t)
		t.Cleanup(func() { requireNoTempFiles(t, dir) })
		return s
	})
}

// requireNoTempFiles checks that no failed or finished Put left a
// temporary file behind.
func requireNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		require.NoError(t, err)
		require.False(t, strings.HasPrefix(d.Name(), ".tmp-"), "leftover temporary file %s", p)
		return nil
	}))
}

func TestDirLayoutAndPermissions(t *testing.T) {
	s, dir := newDir(t)
	_, err := s.Put(context.Background(), "acme/attachment/01", strings.NewReader("x"))
	require.NoError(t, err)
	info, err := os.Stat(filepath.Join(dir, "acme", "attachment", "01"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	info, err = os.Stat(filepath.Join(dir, "acme"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), info.Mode().Perm())
}

func TestDirSymlinkCannotEscape(t *testing.T) {
	s, dir := newDir(t)
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret"), []byte("outside"), 0o600))
	// A link planted inside the store (by another process or a restored
	// backup) must not let reads or writes reach the outside directory.
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "acme"), 0o700))
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "acme", "evil")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "acme", "file")))

	ctx := context.Background()
	_, err := s.Get(ctx, "acme/evil/secret")
	require.Error(t, err)
	_, err = s.Get(ctx, "acme/file")
	require.Error(t, err)
	_, err = s.Put(ctx, "acme/evil/planted", strings.NewReader("pwned"))
	require.Error(t, err)
	_, err = os.Stat(filepath.Join(outside, "planted"))
	require.ErrorIs(t, err, os.ErrNotExist)
	b, err := os.ReadFile(filepath.Join(outside, "secret"))
	require.NoError(t, err)
	require.Equal(t, "outside", string(b))
}

func TestDirPrefixConflicts(t *testing.T) {
	s, _ := newDir(t)
	ctx := context.Background()
	_, err := s.Put(ctx, "acme/attachment/x", strings.NewReader("x"))
	require.NoError(t, err)
	_, err = s.Put(ctx, "acme/attachment", strings.NewReader("y"))
	require.ErrorIs(t, err, inbox.ErrConflict)
	_, err = s.Put(ctx, "acme/attachment/x/y", strings.NewReader("z"))
	require.ErrorIs(t, err, inbox.ErrConflict)
	require.NoError(t, s.Delete(ctx, "acme/attachment"), "a prefix is not a blob")
	rc, err := s.Get(ctx, "acme/attachment/x")
	require.NoError(t, err)
	rc.Close()
}

// TestDirStagedAppearsWholeAfterSync checks the on-disk side of Stage:
// until Sync nothing is under the key (a power failure cannot leave part
// of the value there), after it the file is in place and no temporary
// file is left.
func TestDirStagedAppearsWholeAfterSync(t *testing.T) {
	s, dir := newDir(t)
	ctx := context.Background()
	_, err := s.Stage(ctx, "acme/raw/01", strings.NewReader("raw message"))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(dir, "acme", "raw", "01"))
	require.ErrorIs(t, err, os.ErrNotExist, "a staged blob is not under its key before Sync")
	require.NoError(t, s.Sync(ctx))
	b, err := os.ReadFile(filepath.Join(dir, "acme", "raw", "01"))
	require.NoError(t, err)
	require.Equal(t, "raw message", string(b))
	info, err := os.Stat(filepath.Join(dir, "acme", "raw", "01"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	requireNoTempFiles(t, dir)
}

// TestDirRemovedDirectoryIsRecreated: the store keeps the directories it
// writes in open; one removed behind its back is created again, and a blob
// written after that is on the disk, not in the deleted directory.
func TestDirRemovedDirectoryIsRecreated(t *testing.T) {
	s, dir := newDir(t)
	ctx := context.Background()
	_, err := s.Put(ctx, "acme/raw/01", strings.NewReader("first"))
	require.NoError(t, err)
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "acme")))
	_, err = s.Put(ctx, "acme/raw/02", strings.NewReader("second"))
	require.NoError(t, err)
	_, err = s.Stage(ctx, "acme/raw/03", strings.NewReader("third"))
	require.NoError(t, err)
	require.NoError(t, s.Sync(ctx))
	for key, want := range map[string]string{"02": "second", "03": "third"} {
		b, err := os.ReadFile(filepath.Join(dir, "acme", "raw", key))
		require.NoError(t, err)
		require.Equal(t, want, string(b))
	}
}

func TestDirCloseDropsUnsyncedStages(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "blobs")
	s, err := blob.Dir(dir)
	require.NoError(t, err)
	_, err = s.Stage(context.Background(), "acme/raw/01", strings.NewReader("never synced"))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	requireNoTempFiles(t, dir)
	_, err = os.Stat(filepath.Join(dir, "acme", "raw", "01"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestDirStagePrefixConflicts(t *testing.T) {
	s, dir := newDir(t)
	ctx := context.Background()
	_, err := s.Put(ctx, "acme/attachment/x", strings.NewReader("x"))
	require.NoError(t, err)
	_, err = s.Stage(ctx, "acme/attachment", strings.NewReader("y"))
	require.ErrorIs(t, err, inbox.ErrConflict)
	_, err = s.Stage(ctx, "acme/attachment/x/y", strings.NewReader("z"))
	require.ErrorIs(t, err, inbox.ErrConflict)
	require.NoError(t, s.Sync(ctx))
	requireNoTempFiles(t, dir)
	rc, err := s.Get(ctx, "acme/attachment/x")
	require.NoError(t, err)
	rc.Close()
}

// TestDirPutStreams checks that Put's memory use does not grow with the
// value: a 64 MiB value must not allocate anywhere near its size.
func TestDirPutStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 64 MiB")
	}
	s, _ := newDir(t)
	const size = 64 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n, err := s.Put(context.Background(), "acme/raw/big", &blobtest.Pattern{Remaining: size})
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Equal(t, int64(size), n)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(4<<20), "Put buffered the value")
}

func TestDirOpenErrors(t *testing.T) {
	_, err := blob.Dir("")
	require.ErrorIs(t, err, inbox.ErrInvalid)
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err = blob.Dir(file)
	require.Error(t, err)
}

// BenchmarkDirStage stages blobs and syncs them two hundred at a time, as
// a mail sync does with a batch; compare with BenchmarkDirPut.
func BenchmarkDirStage(b *testing.B) {
	s, err := blob.Dir(b.TempDir())
	require.NoError(b, err)
	defer s.Close()
	ctx := context.Background()
	value := strings.Repeat("x", 64<<10)
	b.SetBytes(int64(len(value)))
	i := 0
	for b.Loop() {
		if _, err := s.Stage(ctx, inbox.NewBlobKey("acme", "raw"), strings.NewReader(value)); err != nil {
			b.Fatal(err)
		}
		if i++; i%200 == 0 {
			if err := s.Sync(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := s.Sync(ctx); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkDirPut(b *testing.B) {
	s, err := blob.Dir(b.TempDir())
	require.NoError(b, err)
	defer s.Close()
	ctx := context.Background()
	value := strings.Repeat("x", 64<<10)
	b.SetBytes(int64(len(value)))
	for b.Loop() {
		if _, err := s.Put(ctx, inbox.NewBlobKey("acme", "attachment"), strings.NewReader(value)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDirRemoveLeftovers(t *testing.T) {
	ctx := context.Background()
	d, dir := newDir(t)
	_, err := d.Put(ctx, "t1/raw/kept", strings.NewReader("kept"))
	require.NoError(t, err)
	// A staged blob waiting for its Sync stays, however old.
	_, err = d.Stage(ctx, "t1/raw/staged", strings.NewReader("staged"))
	require.NoError(t, err)
	old := time.Now().Add(-2 * time.Hour)
	var staged string
	require.NoError(t, filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(e.Name(), ".tmp-") {
			staged = p
			return os.Chtimes(p, old, old)
		}
		return err
	}))
	require.NotEmpty(t, staged)
	// What a killed process left: an old temporary file, and a recent one
	// that might still be in use by another process's Put.
	leftover := filepath.Join(dir, "t1", "raw", ".tmp-crashed")
	recent := filepath.Join(dir, "t1", "raw", ".tmp-recent")
	require.NoError(t, os.WriteFile(leftover, []byte("half a message"), 0o600))
	require.NoError(t, os.Chtimes(leftover, old, old))
	require.NoError(t, os.WriteFile(recent, []byte("being written"), 0o600))

	n, err := d.RemoveLeftovers(ctx, time.Hour)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.NoFileExists(t, leftover)
	require.FileExists(t, recent)
	require.FileExists(t, staged)
	require.NoError(t, d.Sync(ctx))
	for _, key := range []string{"t1/raw/kept", "t1/raw/staged"} {
		r, err := d.Get(ctx, key)
		require.NoError(t, err, key)
		require.NoError(t, r.Close())
	}
}
