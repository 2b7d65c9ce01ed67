package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"
)

// Checkpointing moves pages from the write-ahead log into the database
// file. Left to SQLite, the connection whose commit crosses the threshold
// does it inside that commit, so one ingest batch or webhook in every few
// hundred waited for megabytes of copying and a sync: the tail of intake
// latency. A checkpointer goroutine on its own connection does it instead,
// in PASSIVE mode, which runs beside the writer and readers. The writer
// keeps a far higher automatic threshold as a safety net should the
// goroutine fall behind.
const (
	// checkpointEvery is how often the checkpointer looks at the log.
	checkpointEvery = 250 * time.Millisecond
	// writerAutoCheckpoint is the writer's own threshold in pages (64 MB
	// at the default 4 KB page).
	writerAutoCheckpoint = 16384
)

// checkpointer runs PASSIVE checkpoints until stopped.
type checkpointer struct {
	db   *sql.DB
	log  *slog.Logger
	stop chan struct{}
	done sync.WaitGroup
	once sync.Once
	err  error
}

func startCheckpointer(db *sql.DB, log *slog.Logger) *checkpointer {
	c := &checkpointer{db: db, log: log, stop: make(chan struct{})}
	c.done.Add(1)
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer c.done.Done()
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		err := c.checkpoint(context.Background())
		switch {
		case err != nil && !failing:
			c.log.Warn("sqlite: background checkpoint failed; the writer checkpoints itself past its threshold", "err", err)
			failing = true
		case err == nil && failing:
			c.log.Info("sqlite: background checkpoint works again")
			failing = false
		}
	}
}

// checkpoint copies what no reader still needs from the log to the
// database file. It is a no-op when the log is empty.
func (c *checkpointer) checkpoint(ctx context.Context) error {
	var busy, logFrames, done int
	return c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &done)
}

// Close stops the goroutine, then closes its connection. Later calls
// return the first call's result.
func (c *checkpointer) Close() error {
	c.once.Do(func() {
		close(c.stop)
		c.done.Wait()
		c.err = c.db.Close()
	})
	return c.err
}
