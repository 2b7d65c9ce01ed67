package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/sqlstore"
)

// Options configure Open. The zero value is a good default.
type Options struct {
	// Logger receives structured logs. Nil: discarded.
	Logger *slog.Logger
	// BusyTimeout is how long a statement waits for another process's
	// lock before failing with inbox.ErrTemporary. 0 means 5 seconds.
	BusyTimeout time.Duration
	// Readers is the size of the read-only connection pool. 0 means 4.
	Readers int
	// Synchronous is SQLite's synchronous setting: "FULL" (the default,
	// every commit survives a power loss) or "NORMAL" (a commit survives a
	// crash of the process; the last ones may be lost on power loss).
	Synchronous string
	// FileMode is the permission of the database file and of its -wal
	// and -shm files. 0 means 0600: the database holds every tenant's
	// mail, so other local users may not read it. Open creates a new
	// database with it and sets it on an existing one.
	FileMode os.FileMode
}

// Store is the SQLite implementation of driver.Store: one file in WAL mode,
// a single writer connection (SQLite has one writer at a time; queuing in
// Go is cheaper than busy-waiting) and a pool of read-only connections
// that read while the writer writes.
type Store struct {
	*sqlstore.Store
}

var _ driver.Store = (*Store)(nil)

// Open opens or creates the database file at path, applies pending
// migrations and returns the store. An unreadable, corrupt or too new
// database is refused with an error naming path.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, fmt.Errorf("sqlite: open: %w", inbox.Invalid("path", "is required"))
	}
	if strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, inbox.Invalid("path", "must be a plain file path (no '?', '#' or file: URI)"))
	}
	if err := checkFile(path); err != nil {
		return nil, err
	}
	if opts.FileMode == 0 {
		opts.FileMode = 0o600
	}
	opts.FileMode = opts.FileMode.Perm()
	createPrivate(path, opts.FileMode)
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.Readers <= 0 {
		opts.Readers = 4
	}
	sync := strings.ToUpper(opts.Synchronous)
	switch sync {
	case "":
		sync = "FULL"
	case "FULL", "NORMAL":
	default:
		return nil, fmt.Errorf("sqlite: open %s: %w", path, inbox.Invalid("Options.Synchronous", "must be FULL or NORMAL"))
	}
	params := url.Values{}
	params.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeout.Milliseconds()))
	params.Add("_pragma", "journal_mode(WAL)")
	params.Add("_pragma", "foreign_keys(1)")
	params.Add("_pragma", "synchronous("+sync+")")
	// Statement journals (a savepoint per statement that runs triggers or
	// may fail halfway) stay in memory instead of a temporary file: they
	// were 6 % of ingest time in pwrite calls.
	params.Add("_pragma", "temp_store(MEMORY)")
	// The log is reused from its start once checkpointed; beyond 16 MB
	// it is truncated then, so a large transaction does not leave a large
	// file behind. Checkpoints stay SQLite's own (every 4 MB, in the
	// committing connection): on a goroutine of their own, their syncs
	// held commits up for 20 ms and more, and p99 intake latency went
	// from 5 to 25 ms.
	params.Add("_pragma", "journal_size_limit(16777216)")
	writerDSN := path + "?" + params.Encode() + "&_txlock=immediate"
	params.Add("_pragma", "query_only(1)")
	readerDSN := path + "?" + params.Encode()

	writerConn, err := newCachingConnector(writerDSN, opts.BusyTimeout)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	readerConn, err := newCachingConnector(readerDSN, opts.BusyTimeout)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	writer := sql.OpenDB(writerConn)
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxIdleTime(0)
	reader := sql.OpenDB(readerConn)
	reader.SetMaxOpenConns(opts.Readers)
	reader.SetMaxIdleConns(opts.Readers)

	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s, err := sqlstore.New(ctx, sqlstore.Config{Dialect: dialect{}, Writer: writer, Reader: reader, Name: path, Logger: logger, CompressMessages: true, SerialWriter: true})
	if err != nil {
		_ = writer.Close()
		_ = reader.Close()
		if !strings.Contains(err.Error(), path) {
			err = fmt.Errorf("sqlite %s: %w", path, err)
		}
		return nil, err
	}
	setModes(path, opts.FileMode, logger)
	return &Store{Store: s}, nil
}

// createPrivate creates the database file with mode before SQLite opens
// it, when it does not exist: SQLite would create it with its default
// (0644 less the umask), and it gives the -wal and -shm files it creates
// later the database file's mode. Failures are left to SQLite's open to
// report (a missing directory...).
func createPrivate(path string, mode os.FileMode) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, mode)
	if err == nil {
		_ = f.Close()
	}
}

// setModes sets mode on the database and its -wal and -shm files, when
// they differ: a database created by an earlier version, or whose -wal
// and -shm files SQLite created from its old mode. A file it cannot
// change (owned by another user) is logged, not fatal.
func setModes(path string, mode os.FileMode, log *slog.Logger) {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if err != nil || st.Mode().Perm() == mode {
			continue
		}
		if err := os.Chmod(p, mode); err != nil {
			log.Warn("sqlite: cannot restrict the database file's permissions", "file", p, "mode", fmt.Sprintf("%04o", mode), "err", err)
		}
	}
}

// checkFile refuses a path that is a directory, or an existing non-empty
// file that does not start with the SQLite header, before SQLite creates
// anything next to it.
func checkFile(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", path, inbox.Invalid("path", "cannot be read: "+errors.Unwrap(err).Error()))
	}
	if fi.IsDir() {
		return fmt.Errorf("sqlite: open %s: %w", path, inbox.Invalid("path", "is a directory"))
	}
	if fi.Size() == 0 {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", path, inbox.Invalid("path", "cannot be read: "+errors.Unwrap(err).Error()))
	}
	defer f.Close()
	header := make([]byte, 16)
	if _, err := io.ReadFull(f, header); err != nil || string(header) != "SQLite format 3\x00" {
		return fmt.Errorf("sqlite: open %s: %w", path, inbox.Invalid("path", "is not a SQLite database file"))
	}
	return nil
}
