package chaos

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/seal"
	"github.com/inboxkit/inboxkit/storage/blob"
	"github.com/inboxkit/inboxkit/storage/postgres"
)

// WorkerEnv holds a Worker's configuration as JSON when a process is to
// run as a worker.
const WorkerEnv = "INBOXKIT_CHAOS_WORKER"

// Worker configures one engine instance.
type Worker struct {
	// DSN and Schema locate the shared store.
	DSN    string `json:"dsn"`
	Schema string `json:"schema"`
	// Instance names the process in leases and logs; unique per process.
	Instance string `json:"instance"`
	// SealKey is the AES-256 key integration secrets are sealed with.
	SealKey []byte `json:"seal_key"`
	// Options are the scheduler's settings (Instance is set from the field above).
	Options inbox.RunOptions `json:"options"`
	// BlobDir, when set, is the directory (shared by the instances) that
	// keeps raw messages and attachments.
	BlobDir string `json:"blob_dir,omitempty"`
	// LogPath, when set, receives the engine's logs.
	LogPath string `json:"log_path,omitempty"`
}

// Sealer returns the sealer every worker and the test share.
func Sealer(key []byte) (*seal.Sealer, error) {
	return seal.New(seal.Options{Keys: []seal.Key{{ID: "chaos", Material: key}}})
}

// RunWorkerFromEnv runs a worker when WorkerEnv is set and reports whether
// it did; a test binary's TestMain calls it first and exits with the code.
func RunWorkerFromEnv(ctx context.Context) (ran bool, code int) {
	spec := os.Getenv(WorkerEnv)
	if spec == "" {
		return false, 0
	}
	var w Worker
	if err := json.Unmarshal([]byte(spec), &w); err != nil {
		fmt.Fprintln(os.Stderr, "chaos worker: bad configuration:", err)
		return true, 2
	}
	if err := w.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "chaos worker:", err)
		return true, 1
	}
	return true, 0
}

// Run serves as one instance until ctx ends.
func (w Worker) Run(ctx context.Context) error {
	logger := slog.New(slog.DiscardHandler)
	if w.LogPath != "" {
		f, err := os.OpenFile(w.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		logger = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})).With("instance", w.Instance)
	}
	store, err := postgres.Open(ctx, w.DSN, postgres.Options{Schema: w.Schema, MaxConns: 8, Logger: logger})
	if err != nil {
		return err
	}
	defer store.Close()
	logDB, err := OpenSchema(w.DSN, w.Schema)
	if err != nil {
		return err
	}
	defer logDB.Close()
	sealer, err := Sealer(w.SealKey)
	if err != nil {
		return err
	}
	var blobs inbox.BlobStore
	if w.BlobDir != "" {
		dir, err := blob.Dir(w.BlobDir)
		if err != nil {
			return err
		}
		defer dir.Close()
		blobs = dir
	}
	eng, err := inbox.New(inbox.Options{
		Store: store, Sealer: sealer, Logger: logger, Blobs: blobs,
		Channels: map[inbox.Source]inbox.ChannelFactory{
			inbox.SourceEmail: LoggedPulls(email.Factory(email.FactoryOptions{Logger: logger, Blobs: blobs}), logDB, w.Instance),
		},
	})
	if err != nil {
		return err
	}
	defer eng.Close()
	opts := w.Options
	opts.Instance = w.Instance
	return eng.Run(ctx, opts)
}

// OpenSchema opens a connection pool whose search_path is schema.
func OpenSchema(dsn, schema string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("chaos: %w", inbox.Invalid("dsn", "cannot be parsed"))
	}
	cfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(4)
	return db, nil
}

// LoggedPulls wraps a channel factory so that each Pull is recorded in
// chaos_pulls when it starts and when it returns.
func LoggedPulls(next inbox.ChannelFactory, db *sql.DB, instance string) inbox.ChannelFactory {
	return func(ctx context.Context, in inbox.Integration, secret inbox.SecretFunc) (inbox.Channel, error) {
		ch, err := next(ctx, in, secret)
		if err != nil {
			return nil, err
		}
		p, ok := ch.(inbox.Puller)
		if !ok {
			return ch, nil
		}
		lp := loggedPuller{Puller: p, db: db, instance: instance, integration: string(in.TenantID) + "/" + in.ID}
		if w, ok := ch.(inbox.Watcher); ok {
			// The wrapper keeps the channel's IDLE: without it the engine
			// would start no watcher and new mail would wait for the
			// next scheduled sync.
			return loggedWatcher{loggedPuller: lp, watch: w.Watch}, nil
		}
		return lp, nil
	}
}

// loggedWatcher is a loggedPuller over a channel that also watches.
type loggedWatcher struct {
	loggedPuller
	watch func(ctx context.Context, notify func()) error
}

func (w loggedWatcher) Watch(ctx context.Context, notify func()) error { return w.watch(ctx, notify) }

type loggedPuller struct {
	inbox.Puller
	db          *sql.DB
	instance    string
	integration string
}

func (p loggedPuller) Pull(ctx context.Context, cursor string, deliver inbox.DeliverFunc) error {
	var id int64
	if err := p.db.QueryRowContext(ctx, `INSERT INTO chaos_pulls (instance, integration) VALUES ($1, $2) RETURNING id`,
		p.instance, p.integration).Scan(&id); err != nil {
		return fmt.Errorf("chaos: log pull: %w: %w", inbox.ErrTemporary, err)
	}
	pullErr := p.Puller.Pull(ctx, cursor, deliver)
	msg := ""
	if pullErr != nil {
		msg = pullErr.Error()
	}
	// The end is logged even when ctx ended: the pull has stopped.
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := p.db.ExecContext(lctx, `UPDATE chaos_pulls SET finished_at = clock_timestamp(), err = $2 WHERE id = $1`, id, msg); err != nil {
		return fmt.Errorf("chaos: log end of pull: %w", err)
	}
	return pullErr
}
