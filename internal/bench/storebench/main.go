// Command storebench measures an inboxkit SQL store end to end: it
// ingests generated email through inbox.Engine (dedupe, threading,
// contacts, full-text indexing, one durable transaction per batch), files
// the conversations into folders, then times conversation list pages,
// unread counters and newest-first searches for rare and frequent words,
// and reports the database size against the raw text.
//
//	go run ./internal/bench/storebench -store sqlite -messages 100000
//	go run ./internal/bench/storebench -store postgres -messages 100000
//
// The run is bounded by -messages and -queries. -reuse skips generation
// and ingest and queries the database left by an earlier run.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/bench"
	"github.com/inboxkit/inboxkit/storage/postgres"
	"github.com/inboxkit/inboxkit/storage/sqlite"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to measure size
)

type config struct {
	store, path, dsn, schema string
	messages, conversations  int
	folders, batch, queries  int
	reuse                    bool
	synchronous, profile     string
	seed                     uint64
}

func main() {
	var c config
	flag.StringVar(&c.store, "store", "sqlite", "sqlite or postgres")
	flag.StringVar(&c.path, "path", filepath.Join(os.TempDir(), "inboxkit-bench.db"), "SQLite file")
	flag.StringVar(&c.dsn, "dsn", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL DSN")
	flag.StringVar(&c.schema, "schema", "inboxkit_bench", "PostgreSQL schema (dropped first unless -reuse)")
	flag.IntVar(&c.messages, "messages", 100_000, "messages to ingest")
	flag.IntVar(&c.conversations, "conversations", 0, "conversations (0: messages/10)")
	flag.IntVar(&c.folders, "folders", 50, "folders")
	flag.IntVar(&c.batch, "batch", 200, "messages per ingest batch (one transaction)")
	flag.IntVar(&c.queries, "queries", 200, "timed runs of each query")
	flag.BoolVar(&c.reuse, "reuse", false, "query an existing database instead of ingesting")
	flag.Uint64Var(&c.seed, "seed", 1, "generator seed")
	flag.StringVar(&c.synchronous, "synchronous", "", "SQLite synchronous setting: FULL (default) or NORMAL")
	flag.StringVar(&c.profile, "cpuprofile", "", "write a CPU profile of the ingest to this file")
	flag.Parse()
	if err := run(context.Background(), c); err != nil {
		log.Fatal(err)
	}
}

const tenant inbox.TenantID = "bench"

type benchStore interface {
	driver.Store
}

func open(ctx context.Context, c config) (benchStore, func() (int64, error), error) {
	switch c.store {
	case "sqlite":
		if !c.reuse {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				_ = os.Remove(c.path + suffix)
			}
		}
		s, err := sqlite.Open(ctx, c.path, sqlite.Options{Synchronous: c.synchronous})
		size := func() (int64, error) {
			var total int64
			for _, suffix := range []string{"", "-wal"} {
				if fi, err := os.Stat(c.path + suffix); err == nil {
					total += fi.Size()
				}
			}
			return total, nil
		}
		return s, size, err
	case "postgres":
		db, err := sql.Open("pgx", c.dsn)
		if err != nil {
			return nil, nil, err
		}
		if !c.reuse {
			if _, err := db.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+c.schema+` CASCADE`); err != nil {
				return nil, nil, err
			}
		}
		s, err := postgres.Open(ctx, c.dsn, postgres.Options{Schema: c.schema})
		size := func() (int64, error) {
			var n int64
			if _, err := db.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
				return 0, err
			}
			err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
				JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`, c.schema).Scan(&n)
			return n, err
		}
		return s, size, err
	}
	return nil, nil, fmt.Errorf("unknown -store %q (sqlite or postgres)", c.store)
}

func run(ctx context.Context, c config) error {
	store, size, err := open(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	fmt.Printf("machine: %d CPUs (%s/%s), %s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, cpuModel())
	fmt.Printf("store: %s, messages: %d, conversations: %d, folders: %d, batch: %d\n", c.store, c.messages, max(1, c.conversations, c.messages/10), c.folders, c.batch)
	gen := bench.New(bench.Options{Messages: c.messages, Conversations: c.conversations, Seed: c.seed})

	var folders []inbox.Folder
	if !c.reuse {
		raw, err := ingest(ctx, store, gen, c)
		if err != nil {
			return err
		}
		if folders, err = file(ctx, store, c); err != nil {
			return err
		}
		// Queries right after the load, as a new deployment meets them:
		// no VACUUM or ANALYZE by hand.
		fmt.Println("queries on the freshly loaded database:")
		if err := query(ctx, store, gen, folders, c); err != nil {
			return err
		}
		n, err := size() // runs VACUUM ANALYZE on PostgreSQL
		if err != nil {
			return err
		}
		fmt.Printf("size: database %.1f MB, raw text %.1f MB, ratio %.2f\n", float64(n)/1e6, float64(raw)/1e6, float64(n)/float64(raw))
		fmt.Println("queries after VACUUM ANALYZE (PostgreSQL) or as they are (SQLite):")
	} else {
		err := store.View(ctx, tenant, func(tx driver.Tx) error {
			folders, err = tx.ListFolders()
			return err
		})
		if err != nil {
			return err
		}
	}
	return query(ctx, store, gen, folders, c)
}

func cpuModel() string {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range splitLines(string(raw)) {
		if len(line) > 10 && line[:10] == "model name" {
			for i := range line {
				if line[i] == ':' {
					return line[i+2:]
				}
			}
		}
	}
	return "unknown CPU"
}

func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return out
}

// ingest feeds the generator through the engine in batches and reports
// throughput; it returns the raw text size (subject, body, sender).
func ingest(ctx context.Context, store driver.Store, gen *bench.Generator, c config) (int64, error) {
	if err := store.CreateTenant(ctx, &inbox.Tenant{ID: tenant, Name: "Bench"}); err != nil {
		return 0, err
	}
	integ := inbox.Integration{Kind: inbox.SourceEmail, Name: "support", Enabled: true}
	if err := store.Update(ctx, tenant, func(tx driver.Tx) error { return tx.CreateIntegration(&integ) }); err != nil {
		return 0, err
	}
	eng, err := inbox.New(inbox.Options{Store: store})
	if err != nil {
		return 0, err
	}
	defer eng.Close()
	if c.profile != "" {
		f, err := os.Create(c.profile)
		if err != nil {
			return 0, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return 0, err
		}
		defer pprof.StopCPUProfile()
	}
	// Messages are generated one batch ahead on another goroutine, as a
	// network would deliver them: generating Zipf text is a tenth of the
	// CPU of ingest and is not the store's work. Its time is measured and
	// reported apart.
	type genBatch struct {
		msgs []inbox.Inbound
		took time.Duration
	}
	batches := make(chan genBatch, 2)
	go func() {
		defer close(batches)
		runtime.LockOSThread() // so the thread's CPU time is the generator's
		defer runtime.UnlockOSThread()
		for !gen.Done() {
			t0 := threadCPU()
			msgs := gen.Next(c.batch)
			select {
			case batches <- genBatch{msgs, threadCPU() - t0}:
			case <-ctx.Done():
				return
			}
		}
	}()
	var raw int64
	var genTime time.Duration
	cpu0 := cpuTime()
	start := time.Now()
	last := start
	done := 0
	for b := range batches {
		msgs := b.msgs
		genTime += b.took
		for i := range msgs {
			msgs[i].IntegrationID = integ.ID
			raw += int64(len(msgs[i].Subject) + len(msgs[i].Text) + len(msgs[i].From.Name) + len(msgs[i].From.Email))
		}
		cursor := fmt.Sprint(done + len(msgs))
		res, err := eng.IngestBatch(ctx, tenant, inbox.Batch{IntegrationID: integ.ID, Cursor: &cursor, Messages: msgs})
		if err != nil {
			return 0, err
		}
		if res.Stored != len(msgs) {
			return 0, fmt.Errorf("batch at %d: stored %d of %d", done, res.Stored, len(msgs))
		}
		done += len(msgs)
		if time.Since(last) > 10*time.Second {
			last = time.Now()
			fmt.Printf("  ingested %d (%.0f msg/s)\n", done, float64(done)/time.Since(start).Seconds())
		}
	}
	el := time.Since(start)
	cpu := cpuTime() - cpu0
	fmt.Printf("ingest: %d messages in %s = %.0f msg/s (%.1f MB/s of text); this process used %s CPU, %s of it generating text: %.0f msg per CPU-second of ingest\n",
		done, el.Round(time.Millisecond), float64(done)/el.Seconds(), float64(raw)/1e6/el.Seconds(), cpu.Round(time.Millisecond), genTime.Round(time.Millisecond), float64(done)/(cpu-genTime).Seconds())
	return raw, nil
}

// file creates the folders and spreads conversations over them with
// realistic unread counts and statuses.
func file(ctx context.Context, store driver.Store, c config) ([]inbox.Folder, error) {
	var folders []inbox.Folder
	err := store.Update(ctx, tenant, func(tx driver.Tx) error {
		for i := range c.folders {
			f := inbox.Folder{Name: fmt.Sprintf("Folder %02d", i), Position: i}
			if err := tx.CreateFolder(&f); err != nil {
				return err
			}
			folders = append(folders, f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(c.seed, 7))
	statuses := []inbox.Status{inbox.StatusNew, inbox.StatusOpen, inbox.StatusOpen, inbox.StatusResolved, inbox.StatusResolved, inbox.StatusArchived, inbox.StatusUrgent, inbox.StatusSpam}
	start := time.Now()
	cursor, n := "", 0
	for {
		next := ""
		err := store.Update(ctx, tenant, func(tx driver.Tx) error {
			page, err := tx.ListConversations(inbox.ConversationQuery{Limit: 500, Cursor: cursor})
			if err != nil {
				return err
			}
			for _, conv := range page.Items {
				conv.FolderID = folders[rng.IntN(len(folders))].ID
				conv.Status = statuses[rng.IntN(len(statuses))]
				if rng.IntN(3) > 0 {
					conv.Unread = 0
				}
				if err := tx.UpdateConversation(&conv); err != nil {
					return err
				}
				n++
			}
			next = page.NextCursor
			return nil
		})
		if err != nil {
			return nil, err
		}
		if next == "" {
			break
		}
		cursor = next
	}
	fmt.Printf("filing: %d conversations into %d folders in %s\n", n, len(folders), time.Since(start).Round(time.Millisecond))
	return folders, nil
}

func query(ctx context.Context, store driver.Store, gen *bench.Generator, folders []inbox.Folder, c config) error {
	rng := rand.New(rand.NewPCG(c.seed, 11))
	timeIt := func(name string, fn func(i int) error) error {
		for i := range 5 { // warm up
			if err := fn(i); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		d := make([]time.Duration, c.queries)
		for i := range d {
			s := time.Now()
			if err := fn(i); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			d[i] = time.Since(s)
		}
		slices.Sort(d)
		fmt.Printf("%-44s p50 %7.2f ms  p95 %7.2f ms  max %7.2f ms\n", name,
			ms(d[len(d)/2]), ms(d[len(d)*95/100]), ms(d[len(d)-1]))
		return nil
	}
	view := func(fn func(tx driver.Tx) error) error { return store.View(ctx, tenant, fn) }
	statuses := []inbox.Status{inbox.StatusNew, inbox.StatusOpen, inbox.StatusUrgent}
	steps := []struct {
		name string
		fn   func(i int) error
	}{
		{"list: folder page (50, newest)", func(int) error {
			return view(func(tx driver.Tx) error {
				_, err := tx.ListConversations(inbox.ConversationQuery{FolderID: folders[rng.IntN(len(folders))].ID})
				return err
			})
		}},
		{"list: folder + status + unread page (50)", func(int) error {
			return view(func(tx driver.Tx) error {
				_, err := tx.ListConversations(inbox.ConversationQuery{FolderID: folders[rng.IntN(len(folders))].ID,
					Statuses: statuses[:1+rng.IntN(len(statuses))], UnreadOnly: true})
				return err
			})
		}},
		{"list: all, priority sort, page 2 (50)", func(int) error {
			return view(func(tx driver.Tx) error {
				p, err := tx.ListConversations(inbox.ConversationQuery{Sort: inbox.SortPriority})
				if err != nil || p.NextCursor == "" {
					return err
				}
				_, err = tx.ListConversations(inbox.ConversationQuery{Sort: inbox.SortPriority, Cursor: p.NextCursor})
				return err
			})
		}},
		{"unread counters, all folders", func(int) error {
			return view(func(tx driver.Tx) error { _, err := tx.UnreadCounts(); return err })
		}},
		{"search: rare word, top 20", func(i int) error { return search(view, gen.RareWords()[i%len(gen.RareWords())]) }},
		{"search: medium word (~10% of msgs), top 20", func(i int) error { return search(view, gen.MediumWords()[i%5]) }},
		{"search: frequent word (~all msgs), top 20", func(i int) error { return search(view, gen.FrequentWords()[i%5]) }},
		{"search: two frequent words, top 20", func(i int) error {
			return search(view, gen.FrequentWords()[i%5]+" "+gen.FrequentWords()[(i+1)%5])
		}},
		{"search: from: a sender, top 20", func(i int) error {
			return search(view, fmt.Sprintf("from:client%d@customer.example", (i*7919)%max(1, c.messages/20)))
		}},
		{"search: frequent word + folder:, top 20", func(i int) error {
			return search(view, gen.FrequentWords()[i%5]+" folder:\""+folders[rng.IntN(len(folders))].Name+"\"")
		}},
	}
	for _, s := range steps {
		if err := timeIt(s.name, s.fn); err != nil {
			return err
		}
	}
	return nil
}

func search(view func(func(driver.Tx) error) error, q string) error {
	return view(func(tx driver.Tx) error {
		_, err := tx.ListConversations(inbox.ConversationQuery{Search: q, Limit: 20})
		return err
	})
}

// cpuTime is the user+system CPU this process has used.
func cpuTime() time.Duration { return rusage(syscall.RUSAGE_SELF) }

// rusageThread is Linux's RUSAGE_THREAD: the calling thread only.
const rusageThread = 1

// threadCPU is the processor time of the calling OS thread; the caller
// locks its goroutine to the thread.
func threadCPU() time.Duration { return rusage(rusageThread) }

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
