package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/sqlite"
	"github.com/inboxkit/inboxkit/storage/storetest"
)

// openTemp opens a store on a fresh file in t's temporary directory.
func openTemp(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "inbox.db"), sqlite.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) driver.Store { return openTemp(t) })
}

func TestOpenRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(garbage, []byte("this is not a database, just some text that is long enough"), 0o600))
	corrupt := filepath.Join(dir, "corrupt.db")
	require.NoError(t, os.WriteFile(corrupt, append([]byte("SQLite format 3\x00"), bytes.Repeat([]byte{0xff}, 4096)...), 0o600))
	for _, tc := range []struct{ name, path string }{
		{"not a database", garbage},
		{"corrupt header", corrupt},
		{"directory", dir},
		{"missing parent directory", filepath.Join(dir, "no", "such", "dir", "inbox.db")},
		{"uri", "file:" + filepath.Join(dir, "x.db")},
		{"empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlite.Open(context.Background(), tc.path, sqlite.Options{})
			require.Error(t, err)
			require.Nil(t, s)
			require.ErrorIs(t, err, inbox.ErrInvalid)
			require.Contains(t, err.Error(), tc.path, "the error names the file")
		})
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inbox.db")
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	require.NoError(t, err)
	applied, known, err := s.SchemaVersion(context.Background())
	require.NoError(t, err)
	require.Equal(t, known, applied)
	require.NoError(t, s.Close())

	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future', 0)`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	_, err = sqlite.Open(context.Background(), path, sqlite.Options{})
	require.ErrorIs(t, err, inbox.ErrUnsupported)
	require.Contains(t, err.Error(), path)
	require.Contains(t, err.Error(), "version 999 is newer")
}

// TestConcurrentOpenMigratesOnce opens one new file from several
// goroutines at once: every Open succeeds and the schema is applied once.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inbox.db")
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	s := openAt(t, path)
	applied, known, err := s.SchemaVersion(context.Background())
	require.NoError(t, err)
	require.Equal(t, known, applied)
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inbox.db")
	s := openAt(t, path)
	require.NoError(t, s.CreateTenant(context.Background(), &inbox.Tenant{ID: "acme", Name: "Acme"}))
	require.NoError(t, s.Close())
	s = openAt(t, path)
	got, err := s.GetTenant(context.Background(), "acme")
	require.NoError(t, err)
	require.Equal(t, "Acme", got.Name)
}

func openAt(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestDatabaseFilesArePrivate: the database holds every tenant's mail; it
// was created 0644 (the driver's default), readable by every local user.
// Open now creates it, and its -wal and -shm files, 0600, and tightens a
// database created before.
func TestDatabaseFilesArePrivate(t *testing.T) {
	modes := func(path string) map[string]os.FileMode {
		out := map[string]os.FileMode{}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			if st, err := os.Stat(p); err == nil {
				out[filepath.Base(p)] = st.Mode().Perm()
			}
		}
		return out
	}
	write := func(s *sqlite.Store) {
		require.NoError(t, s.CreateTenant(context.Background(), &inbox.Tenant{ID: "acme", Name: "Acme"}))
	}

	t.Run("new", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "inbox.db")
		s := openAt(t, path)
		write(s)
		require.Equal(t, map[string]os.FileMode{"inbox.db": 0o600, "inbox.db-wal": 0o600, "inbox.db-shm": 0o600}, modes(path))
	})
	t.Run("created before", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "inbox.db")
		s := openAt(t, path)
		require.NoError(t, s.Close())
		require.NoError(t, os.Chmod(path, 0o644))
		s = openAt(t, path)
		write(s)
		require.Equal(t, map[string]os.FileMode{"inbox.db": 0o600, "inbox.db-wal": 0o600, "inbox.db-shm": 0o600}, modes(path))
	})
	t.Run("a mode of the host's", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "inbox.db")
		s, err := sqlite.Open(context.Background(), path, sqlite.Options{FileMode: 0o640})
		require.NoError(t, err)
		defer s.Close()
		write(s)
		require.Equal(t, os.FileMode(0o640), modes(path)["inbox.db"])
	})
}
