// Package blobtest is the conformance suite every inbox.BlobStore passes:
// put, get, overwrite, delete, missing keys, hostile keys, failed and
// cancelled writes that must leave nothing behind, and large streamed
// values. Stores that are also an inbox.BlobBatcher pass the same checks
// for staged blobs and Sync.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// LargeSize is the size of the value the large-put test streams.
const LargeSize = 16 << 20

// HostileKeys are keys every store must refuse with inbox.ErrInvalid.
var HostileKeys = []string{
	"",
	".",
	"..",
	"/etc/passwd",
	"../outside",
	"acme/../../outside",
	"acme/attachment/../../../etc/passwd",
	"acme/./x",
	"acme//x",
	"acme/x/",
	`acme\..\..\x`,
	`C:\Windows\win.ini`,
	"acme/x\x00.png",
	"acme/x\ny",
	"acme/x\u0085y",
	"acme/.hidden",
	"acme/.tmp-0123",
	"acme/\xff\xfe",
	strings.Repeat("a/", 600) + "x",
}

// Run runs the suite; newStore returns an empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) inbox.BlobStore) {
	t.Run("PutGet", func(t *testing.T) { testPutGet(t, newStore(t)) })
	t.Run("Empty", func(t *testing.T) { testEmpty(t, newStore(t)) })
	t.Run("Overwrite", func(t *testing.T) { testOverwrite(t, newStore(t)) })
	t.Run("Missing", func(t *testing.T) { testMissing(t, newStore(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, newStore(t)) })
	t.Run("HostileKeys", func(t *testing.T) { testHostileKeys(t, newStore(t)) })
	t.Run("GeneratedKeys", func(t *testing.T) { testGeneratedKeys(t, newStore(t)) })
	t.Run("FailedPutStoresNothing", func(t *testing.T) { testFailedPut(t, newStore(t)) })
	t.Run("CancelledPut", func(t *testing.T) { testCancelledPut(t, newStore(t)) })
	t.Run("LargeStreamingPut", func(t *testing.T) { testLarge(t, newStore(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newStore(t)) })
	if _, ok := newStore(t).(inbox.BlobLister); ok {
		t.Run("List", func(t *testing.T) { testList(t, newStore(t)) })
	}
	if _, ok := newStore(t).(inbox.BlobBatcher); ok {
		batcher := func(t *testing.T) inbox.BlobBatcher { return newStore(t).(inbox.BlobBatcher) }
		t.Run("Staged/ReadBeforeAndAfterSync", func(t *testing.T) { testStagedRead(t, batcher(t)) })
		t.Run("Staged/Delete", func(t *testing.T) { testStagedDelete(t, batcher(t)) })
		t.Run("Staged/LastWriteWins", func(t *testing.T) { testStagedOverwrite(t, batcher(t)) })
		t.Run("Staged/HostileKeys", func(t *testing.T) { testStagedHostileKeys(t, batcher(t)) })
		t.Run("Staged/FailedStageStoresNothing", func(t *testing.T) { testFailedStage(t, batcher(t)) })
		t.Run("Staged/CancelledSync", func(t *testing.T) { testCancelledSync(t, batcher(t)) })
		t.Run("Staged/Concurrent", func(t *testing.T) { testStagedConcurrent(t, batcher(t)) })
	}
}

func put(t *testing.T, s inbox.BlobStore, key, value string) {
	t.Helper()
	n, err := s.Put(context.Background(), key, strings.NewReader(value))
	require.NoError(t, err)
	require.Equal(t, int64(len(value)), n)
}

func get(t *testing.T, s inbox.BlobStore, key string) string {
	t.Helper()
	rc, err := s.Get(context.Background(), key)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b)
}

func requireMissing(t *testing.T, s inbox.BlobStore, key string) {
	t.Helper()
	rc, err := s.Get(context.Background(), key)
	if rc != nil {
		rc.Close()
	}
	require.ErrorIs(t, err, inbox.ErrNotFound)
}

func testPutGet(t *testing.T, s inbox.BlobStore) {
	put(t, s, "acme/attachment/01", "hello")
	put(t, s, "acme/attachment/02", "world")
	put(t, s, "globex/raw/01", "other tenant")
	require.Equal(t, "hello", get(t, s, "acme/attachment/01"))
	require.Equal(t, "world", get(t, s, "acme/attachment/02"))
	require.Equal(t, "other tenant", get(t, s, "globex/raw/01"))
	// Two readers of one blob do not disturb each other.
	a, err := s.Get(context.Background(), "acme/attachment/01")
	require.NoError(t, err)
	defer a.Close()
	require.Equal(t, "hello", get(t, s, "acme/attachment/01"))
	b, err := io.ReadAll(a)
	require.NoError(t, err)
	require.Equal(t, "hello", string(b))
}

func testEmpty(t *testing.T, s inbox.BlobStore) {
	put(t, s, "acme/attachment/empty", "")
	require.Equal(t, "", get(t, s, "acme/attachment/empty"))
}

func testOverwrite(t *testing.T, s inbox.BlobStore) {
	put(t, s, "acme/raw/k", "a much longer first value")
	put(t, s, "acme/raw/k", "short")
	require.Equal(t, "short", get(t, s, "acme/raw/k"))
}

func testMissing(t *testing.T, s inbox.BlobStore) {
	requireMissing(t, s, "acme/attachment/none")
	requireMissing(t, s, "nobody/at/all")
	put(t, s, "acme/attachment/x", "x")
	requireMissing(t, s, "acme/attachment")
	requireMissing(t, s, "acme")
}

func testDelete(t *testing.T, s inbox.BlobStore) {
	ctx := context.Background()
	put(t, s, "acme/attachment/a", "a")
	put(t, s, "acme/attachment/b", "b")
	require.NoError(t, s.Delete(ctx, "acme/attachment/a"))
	requireMissing(t, s, "acme/attachment/a")
	require.Equal(t, "b", get(t, s, "acme/attachment/b"))
	require.NoError(t, s.Delete(ctx, "acme/attachment/a"), "deleting a missing key is not an error")
	require.NoError(t, s.Delete(ctx, "never/was/here"))
	put(t, s, "acme/attachment/a", "again")
	require.Equal(t, "again", get(t, s, "acme/attachment/a"))
}

func testHostileKeys(t *testing.T, s inbox.BlobStore) {
	ctx := context.Background()
	for _, key := range HostileKeys {
		t.Run(fmt.Sprintf("%q", key), func(t *testing.T) {
			_, err := s.Put(ctx, key, strings.NewReader("pwned"))
			require.ErrorIs(t, err, inbox.ErrInvalid)
			_, err = s.Get(ctx, key)
			require.ErrorIs(t, err, inbox.ErrInvalid)
			require.ErrorIs(t, s.Delete(ctx, key), inbox.ErrInvalid)
			if len(key) > 3 && len(key) < 100 {
				require.NotContains(t, err.Error(), key, "errors must not echo hostile keys")
			}
		})
	}
}

func testGeneratedKeys(t *testing.T, s inbox.BlobStore) {
	for _, tenant := range []inbox.TenantID{"acme", "../../etc", `..\..`, "a/b", "", "t\x00x"} {
		key := inbox.NewBlobKey(tenant, "attachment")
		put(t, s, key, string(tenant)+"!")
		require.Equal(t, string(tenant)+"!", get(t, s, key))
	}
}

// failingReader yields some bytes, then an error.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func testFailedPut(t *testing.T, s inbox.BlobStore) {
	ctx := context.Background()
	boom := errors.New("connection reset")
	_, err := s.Put(ctx, "acme/attachment/new", &failingReader{data: []byte("partial"), err: boom})
	require.ErrorIs(t, err, boom)
	requireMissing(t, s, "acme/attachment/new")

	put(t, s, "acme/attachment/old", "complete value")
	_, err = s.Put(ctx, "acme/attachment/old", &failingReader{data: bytes.Repeat([]byte("x"), 200<<10), err: boom})
	require.ErrorIs(t, err, boom)
	require.Equal(t, "complete value", get(t, s, "acme/attachment/old"), "a failed overwrite keeps the old value")
}

// endless yields zeros forever and cancels ctx after a few reads.
type endless struct {
	reads  int
	cancel context.CancelFunc
}

func (e *endless) Read(p []byte) (int, error) {
	e.reads++
	if e.reads == 3 {
		e.cancel()
	}
	clear(p)
	return len(p), nil
}

func testCancelledPut(t *testing.T, s inbox.BlobStore) {
	ctx, cancel := context.WithCancel(context.Background())
	_, err := s.Put(ctx, "acme/raw/endless", &endless{cancel: cancel})
	require.ErrorIs(t, err, context.Canceled)
	requireMissing(t, s, "acme/raw/endless")
}

// Pattern is a deterministic, non-repeating-looking byte stream of a given
// length that is generated on the fly, so large values need no buffer.
type Pattern struct {
	Remaining int64
	state     uint64
}

// Read fills p with the next bytes of the stream.
func (p *Pattern) Read(b []byte) (int, error) {
	if p.Remaining <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.Remaining {
		b = b[:p.Remaining]
	}
	for i := range b {
		p.state = p.state*6364136223846793005 + 1442695040888963407
		b[i] = byte(p.state >> 56)
	}
	p.Remaining -= int64(len(b))
	return len(b), nil
}

func testLarge(t *testing.T, s inbox.BlobStore) {
	want := sha256.New()
	_, err := io.Copy(want, &Pattern{Remaining: LargeSize})
	require.NoError(t, err)

	n, err := s.Put(context.Background(), "acme/raw/large", &Pattern{Remaining: LargeSize})
	require.NoError(t, err)
	require.Equal(t, int64(LargeSize), n)
	rc, err := s.Get(context.Background(), "acme/raw/large")
	require.NoError(t, err)
	defer rc.Close()
	got := sha256.New()
	m, err := io.Copy(got, rc)
	require.NoError(t, err)
	require.Equal(t, int64(LargeSize), m)
	require.Equal(t, want.Sum(nil), got.Sum(nil))
}

func testConcurrent(t *testing.T, s inbox.BlobStore) {
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		wg.Go(func() {
			key := fmt.Sprintf("acme/attachment/c%02d", i)
			if _, err := s.Put(context.Background(), key, strings.NewReader(key)); err != nil {
				errs <- err
			}
		})
		wg.Go(func() {
			value := strings.Repeat(fmt.Sprint(i%10), 4096)
			if _, err := s.Put(context.Background(), "acme/attachment/shared", strings.NewReader(value)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for i := range 20 {
		key := fmt.Sprintf("acme/attachment/c%02d", i)
		require.Equal(t, key, get(t, s, key))
	}
	shared := get(t, s, "acme/attachment/shared")
	require.Len(t, shared, 4096)
	require.Equal(t, strings.Repeat(shared[:1], 4096), shared, "concurrent overwrites never interleave")
}

func stage(t *testing.T, s inbox.BlobBatcher, key, value string) {
	t.Helper()
	n, err := s.Stage(context.Background(), key, strings.NewReader(value))
	require.NoError(t, err)
	require.Equal(t, int64(len(value)), n)
}

func syncStaged(t *testing.T, s inbox.BlobBatcher) {
	t.Helper()
	require.NoError(t, s.Sync(context.Background()))
}

func testStagedRead(t *testing.T, s inbox.BlobBatcher) {
	syncStaged(t, s) // nothing staged yet
	stage(t, s, "acme/raw/01", "staged")
	stage(t, s, "acme/attachment/01", "")
	require.Equal(t, "staged", get(t, s, "acme/raw/01"), "a staged blob is readable before Sync")
	requireMissing(t, s, "acme/raw")
	syncStaged(t, s)
	require.Equal(t, "staged", get(t, s, "acme/raw/01"))
	require.Equal(t, "", get(t, s, "acme/attachment/01"))
	syncStaged(t, s) // again: nothing left to do
	require.Equal(t, "staged", get(t, s, "acme/raw/01"))
}

func testStagedDelete(t *testing.T, s inbox.BlobBatcher) {
	ctx := context.Background()
	stage(t, s, "acme/raw/gone", "x")
	stage(t, s, "acme/raw/kept", "y")
	require.NoError(t, s.Delete(ctx, "acme/raw/gone"))
	requireMissing(t, s, "acme/raw/gone")
	syncStaged(t, s)
	requireMissing(t, s, "acme/raw/gone")
	require.Equal(t, "y", get(t, s, "acme/raw/kept"))
	require.NoError(t, s.Delete(ctx, "acme/raw/kept"))
	requireMissing(t, s, "acme/raw/kept")
}

func testStagedOverwrite(t *testing.T, s inbox.BlobBatcher) {
	put(t, s, "acme/raw/k", "durable first value")
	stage(t, s, "acme/raw/k", "staged second")
	require.Equal(t, "staged second", get(t, s, "acme/raw/k"))
	stage(t, s, "acme/raw/k", "staged third")
	syncStaged(t, s)
	require.Equal(t, "staged third", get(t, s, "acme/raw/k"))

	stage(t, s, "acme/raw/j", "staged, then overwritten")
	put(t, s, "acme/raw/j", "put last")
	syncStaged(t, s)
	require.Equal(t, "put last", get(t, s, "acme/raw/j"), "Sync must not bring back an older staged value")
}

func testStagedHostileKeys(t *testing.T, s inbox.BlobBatcher) {
	for _, key := range HostileKeys {
		_, err := s.Stage(context.Background(), key, strings.NewReader("pwned"))
		require.ErrorIs(t, err, inbox.ErrInvalid, "%q", key)
	}
	syncStaged(t, s)
}

func testFailedStage(t *testing.T, s inbox.BlobBatcher) {
	ctx := context.Background()
	boom := errors.New("connection reset")
	_, err := s.Stage(ctx, "acme/raw/new", &failingReader{data: []byte("partial"), err: boom})
	require.ErrorIs(t, err, boom)
	requireMissing(t, s, "acme/raw/new")

	put(t, s, "acme/raw/old", "complete value")
	_, err = s.Stage(ctx, "acme/raw/old", &failingReader{data: bytes.Repeat([]byte("x"), 200<<10), err: boom})
	require.ErrorIs(t, err, boom)
	cctx, cancel := context.WithCancel(ctx)
	_, err = s.Stage(cctx, "acme/raw/endless", &endless{cancel: cancel})
	require.ErrorIs(t, err, context.Canceled)
	syncStaged(t, s)
	requireMissing(t, s, "acme/raw/new")
	requireMissing(t, s, "acme/raw/endless")
	require.Equal(t, "complete value", get(t, s, "acme/raw/old"), "a failed Stage keeps the old value")
}

func testCancelledSync(t *testing.T, s inbox.BlobBatcher) {
	stage(t, s, "acme/raw/later", "z")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, s.Sync(ctx), context.Canceled)
	require.Equal(t, "z", get(t, s, "acme/raw/later"), "a cancelled Sync leaves the blob staged")
	syncStaged(t, s)
	require.Equal(t, "z", get(t, s, "acme/raw/later"))
}

func testStagedConcurrent(t *testing.T, s inbox.BlobBatcher) {
	var wg sync.WaitGroup
	errs := make(chan error, 80)
	for i := range 40 {
		wg.Go(func() {
			key := fmt.Sprintf("acme/raw/c%02d", i)
			if _, err := s.Stage(context.Background(), key, strings.NewReader(key)); err != nil {
				errs <- err
			}
		})
		if i%4 == 0 {
			wg.Go(func() {
				if err := s.Sync(context.Background()); err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for i := range 40 {
		key := fmt.Sprintf("acme/raw/c%02d", i)
		require.Equal(t, key, get(t, s, key))
	}
	syncStaged(t, s)
	for i := range 40 {
		key := fmt.Sprintf("acme/raw/c%02d", i)
		require.Equal(t, key, get(t, s, key))
	}
}

// testList checks that ListBlobs reports exactly the stored keys under a
// prefix, staged blobs once synced, and nothing once deleted.
func testList(t *testing.T, s inbox.BlobStore) {
	ctx := context.Background()
	l := s.(inbox.BlobLister)
	list := func(prefix string) []string {
		var keys []string
		require.NoError(t, l.ListBlobs(ctx, prefix, func(k string) error { keys = append(keys, k); return nil }))
		slices.Sort(keys)
		return keys
	}
	require.Empty(t, list("acme/raw/"), "an empty store lists nothing")
	put(t, s, "acme/raw/a", "1")
	put(t, s, "acme/raw/b", "2")
	put(t, s, "acme/rawer/c", "3")
	put(t, s, "acme/attachment/d", "4")
	put(t, s, "other/raw/e", "5")
	require.Equal(t, []string{"acme/raw/a", "acme/raw/b"}, list("acme/raw/"))
	require.Equal(t, []string{"acme/raw/a", "acme/raw/b", "acme/rawer/c"}, list("acme/raw"))
	require.Len(t, list(""), 5)
	if b, ok := s.(inbox.BlobBatcher); ok {
		stage(t, b, "acme/raw/f", "6")
		syncStaged(t, b)
		require.Contains(t, list("acme/raw/"), "acme/raw/f", "a synced blob is listed")
	}
	require.NoError(t, s.Delete(ctx, "acme/raw/a"))
	require.NotContains(t, list("acme/raw/"), "acme/raw/a", "a deleted blob is not listed")
	stop := errors.New("stop")
	require.ErrorIs(t, l.ListBlobs(ctx, "", func(string) error { return stop }), stop, "fn's error ends the listing")
}
