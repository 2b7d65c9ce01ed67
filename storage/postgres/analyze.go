package postgres

import (
	"context"
	"database/sql"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Until autovacuum first analyses a table, the planner knows nothing of
// its contents: it takes a tenant's rows for a handful and picks plans
// that read all of them for each key looked up (a dedupe look-up of 400
// keys took 90 ms at 20k messages instead of 1 ms). Autovacuum wakes once
// a minute and, on a table that just grew tenfold, keeps statistics of
// its first rows for a while; a freshly loaded database then searches on
// plans made for a table a tenth its size. The store closes that gap
// itself: after write transactions, at most every checkEvery, it analyses
// its tables that have rows but were never analysed or that doubled (half
// their rows changed) since their last analysis, and flushes the pending lists of the
// full-text indexes of a table it analysed, so a search right after a
// bulk load reads a merged index.
const (
	// analyzeMinRows is how many rows a never-analysed table needs
	// before its statistics are worth taking.
	analyzeMinRows = 200
	// analyzeCheckEvery spaces the checks of pg_stat_user_tables.
	analyzeCheckEvery = 2 * time.Second
	// analyzeChangeRatio is the share of a table's rows changed since its
	// last analysis that makes it worth analysing again. A half (a table
	// that doubled) keeps the statistics within a factor of two of the
	// table during a bulk load, which is all the planner needs, for a
	// total cost of about two analyses of the final table: a fifth cost
	// six, and the search index's ANALYZE (its lexeme statistics) was
	// then a sixth of the server's CPU during a load.
	analyzeChangeRatio = 0.5
)

// firstAnalyzer runs ANALYZE on tables of the store's schema that have
// rows and no statistics yet.
type firstAnalyzer struct {
	db  *sql.DB
	log *slog.Logger

	done atomic.Bool // stopped

	// tables are the oids and names of the schema's tables, read once:
	// the checks then ask for their counters alone, where the
	// pg_stat_user_tables view joins every table of the database (a
	// parallel plan over a bloated catalogue took 150-300 ms a check).
	// Only the check goroutine, one at a time, uses them.
	tableOIDs  []uint32
	tableNames []string

	mu      sync.Mutex // guards the fields below and starting checks
	running bool       // a check is in progress
	last    time.Time  // when the last check started
	stopped bool
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
}

func newFirstAnalyzer(db *sql.DB, log *slog.Logger) *firstAnalyzer {
	ctx, cancel := context.WithCancel(context.Background())
	return &firstAnalyzer{db: db, log: log, ctx: ctx, cancel: cancel}
}

// afterWrite is called after each committed write transaction; it starts a
// check in the background when one is due.
func (a *firstAnalyzer) afterWrite(now time.Time) {
	if a.done.Load() {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopped || a.running || now.Sub(a.last) < analyzeCheckEvery {
		return
	}
	a.running, a.last = true, now
	a.wg.Go(func() {
		if err := a.check(a.ctx); err != nil && a.ctx.Err() == nil {
			a.log.Warn("postgres: analysing new tables failed; autovacuum will", "err", err)
		}
		a.mu.Lock()
		a.running = false
		a.mu.Unlock()
	})
}

// check analyses the tables that are due and records whether any table
// may still need it.
func (a *firstAnalyzer) check(ctx context.Context) error {
	if len(a.tableOIDs) == 0 {
		if err := a.loadTables(ctx); err != nil {
			return err
		}
	}
	rows, err := a.db.QueryContext(ctx, `SELECT t.name, CASE WHEN pg_stat_get_last_analyze_time(t.oid) IS NULL AND pg_stat_get_last_autoanalyze_time(t.oid) IS NULL
			THEN pg_stat_get_live_tuples(t.oid) + pg_stat_get_mod_since_analyze(t.oid) ELSE pg_stat_get_mod_since_analyze(t.oid) END
		FROM unnest($3::oid[], $4::text[]) AS t (oid, name)
		WHERE (pg_stat_get_last_analyze_time(t.oid) IS NULL AND pg_stat_get_last_autoanalyze_time(t.oid) IS NULL)
			OR pg_stat_get_mod_since_analyze(t.oid) >= $1 AND pg_stat_get_mod_since_analyze(t.oid) >= pg_stat_get_live_tuples(t.oid) * $2`,
		analyzeMinRows, analyzeChangeRatio, a.tableOIDs, a.tableNames)
	if err != nil {
		return err
	}
	var due []string
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			rows.Close()
			return err
		}
		if n >= analyzeMinRows {
			due = append(due, name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, name := range due {
		// Names come from the catalogue; quoting keeps any of them a name.
		quoted := `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
		if _, err := a.db.ExecContext(ctx, `ANALYZE `+quoted); err != nil {
			return err
		}
		// Fold the pending entries of its GIN indexes into the index.
		if _, err := a.db.ExecContext(ctx, `SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i
			JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
			WHERE i.indrelid = $1::regclass AND am.amname = 'gin'`, quoted); err != nil {
			return err
		}
		a.log.Debug("postgres: analysed a table autovacuum had not reached yet", "table", name)
	}
	return nil
}

// loadTables reads the oids and names of the tables of the store's schema.
func (a *firstAnalyzer) loadTables(ctx context.Context) error {
	rows, err := a.db.QueryContext(ctx, `SELECT c.oid, c.relname FROM pg_class c
		WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND c.relkind = 'r'`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var oids []uint32
	var names []string
	for rows.Next() {
		var oid uint32
		var name string
		if err := rows.Scan(&oid, &name); err != nil {
			return err
		}
		oids, names = append(oids, oid), append(names, name)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	a.tableOIDs, a.tableNames = oids, names
	return nil
}

// stop cancels a running check and waits for it.
func (a *firstAnalyzer) stop() {
	a.done.Store(true)
	a.mu.Lock()
	a.stopped = true
	a.mu.Unlock()
	a.cancel()
	a.wg.Wait()
}
