// Command peer measures inboxkit on the corpus the mailpit side-by-side
// scripts in this directory generate, so the two are compared on the same
// messages in the same run: the host path (parse each .eml with the email
// channel, ingest through an inbox.Ingester that commits a batch while the
// next is parsed) into a fresh SQLite or PostgreSQL store, then the
// manifest's searches timed like search_bench.py times mailpit's. Each
// result is one JSON line on stdout. On PostgreSQL the CPU per message
// adds the server's backends (read from /proc, the server being local) to
// the client's; -cpuprofile profiles the client's ingest.
//
//	python3 internal/bench/peer/gen_and_send.py eml -n 10000 --seed 42 --out /tmp/corpus-10000
//	go run ./internal/bench/peer -corpus /tmp/corpus-10000 -store sqlite
//
// sidebyside.sh runs it and mailpit in alternating rounds and prints the
// ratios.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to drop the schema

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/postgres"
	"github.com/inboxkit/inboxkit/storage/sqlite"
)

type manifest struct {
	N       int `json:"n"`
	Queries []struct {
		Name   string `json:"name"`
		Query  string `json:"query"`
		Expect int    `json:"expect"`
	} `json:"queries"`
}

func main() {
	corpus := flag.String("corpus", "", "directory written by gen_and_send.py eml (NNNNNNN.eml + manifest.json)")
	store := flag.String("store", "sqlite", "sqlite or postgres")
	path := flag.String("path", filepath.Join(os.TempDir(), "inboxkit-peer.db"), "SQLite file (removed first)")
	dsn := flag.String("dsn", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL DSN")
	schema := flag.String("schema", "inboxkit_peer", "PostgreSQL schema (dropped first)")
	reps := flag.Int("reps", 20, "timed runs of each search")
	label := flag.String("label", "", "label copied into each JSON line")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the ingest to this file")
	flag.Parse()
	if *corpus == "" {
		log.Fatal("peer: -corpus is required")
	}
	ctx := context.Background()
	var man manifest
	b, err := os.ReadFile(filepath.Join(*corpus, "manifest.json"))
	if err != nil {
		log.Fatalf("peer: %v", err)
	}
	if err := json.Unmarshal(b, &man); err != nil {
		log.Fatalf("peer: manifest: %v", err)
	}
	files, err := filepath.Glob(filepath.Join(*corpus, "*.eml"))
	if err != nil || len(files) == 0 {
		log.Fatalf("peer: no .eml files in %s", *corpus)
	}
	slices.Sort(files)

	var st driver.Store
	switch *store {
	case "sqlite":
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(*path + suffix)
		}
		s, err := sqlite.Open(ctx, *path, sqlite.Options{})
		if err != nil {
			log.Fatalf("peer: %v", err)
		}
		defer s.Close()
		st = s
	case "postgres":
		db, err := sql.Open("pgx", *dsn)
		if err != nil {
			log.Fatalf("peer: %v", err)
		}
		if _, err := db.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+*schema+` CASCADE`); err != nil {
			log.Fatalf("peer: drop schema: %v", err)
		}
		_ = db.Close()
		// The backends serving the store are told apart by their
		// application name, to add the server's CPU to the client's.
		s, err := postgres.Open(ctx, withAppName(*dsn, peerAppName), postgres.Options{Schema: *schema})
		if err != nil {
			log.Fatalf("peer: %v", err)
		}
		defer s.Close()
		st = s
	default:
		log.Fatalf("peer: -store must be sqlite or postgres, not %q", *store)
	}
	const tenant = "peer"
	if err := st.CreateTenant(ctx, &inbox.Tenant{ID: tenant, Name: "Peer"}); err != nil {
		log.Fatalf("peer: %v", err)
	}
	eng, err := inbox.New(inbox.Options{Store: st})
	if err != nil {
		log.Fatalf("peer: %v", err)
	}
	defer eng.Close()

	// Ingest: what a host holding mail files does.
	parser, err := email.NewParser(email.ParseOptions{})
	if err != nil {
		log.Fatalf("peer: %v", err)
	}
	server0 := serverTicks(ctx, *store, *dsn)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatalf("peer: %v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatalf("peer: %v", err)
		}
	}
	cpu0, began := cpuSeconds(), time.Now()
	var stored int
	ing := eng.NewIngester(ctx, tenant, inbox.IngesterOptions{IntegrationID: "import",
		OnBatch: func(r inbox.IngestResult) { stored += r.Stored }})
	for i, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			log.Fatalf("peer: %v", err)
		}
		p, err := parser.Parse(ctx, bytes.NewReader(raw))
		if err != nil {
			log.Fatalf("peer: parse %s: %v", f, err)
		}
		in := p.Inbound
		in.IntegrationID, in.ProviderID = "import", fmt.Sprint(i)
		if err := ing.Add(in); err != nil {
			log.Fatalf("peer: ingest: %v", err)
		}
	}
	if _, err := ing.Close(); err != nil {
		log.Fatalf("peer: ingest: %v", err)
	}
	elapsed, cpu := time.Since(began), cpuSeconds()-cpu0
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	server := serverSeconds(server0, serverTicks(ctx, *store, *dsn))
	emit(map[string]any{"label": *label, "system": "inboxkit-" + *store, "mode": "ingest", "messages": len(files), "stored": stored,
		"seconds": round(elapsed.Seconds()), "msgs_per_s": round(float64(len(files)) / elapsed.Seconds()),
		"client_cpu_s": round(cpu), "server_cpu_s": round(server), "cpu_s": round(cpu + server),
		"client_cpu_us_per_msg": round(cpu / float64(len(files)) * 1e6), "server_cpu_us_per_msg": round(server / float64(len(files)) * 1e6),
		"cpu_us_per_msg": round((cpu + server) / float64(len(files)) * 1e6), "loadavg": loadavg()})

	// Search, right after the load: no VACUUM, no ANALYZE.
	for _, q := range man.Queries {
		run := func() (time.Duration, inbox.ConversationPage) {
			t := time.Now()
			page, err := eng.Conversations(ctx, tenant, inbox.ConversationQuery{Search: q.Query, Limit: 50, WithTotal: true})
			if err != nil {
				log.Fatalf("peer: search %q: %v", q.Query, err)
			}
			return time.Since(t), page
		}
		cold, _ := run()
		run()
		var lat []float64
		var page inbox.ConversationPage
		for range *reps {
			var d time.Duration
			d, page = run()
			lat = append(lat, float64(d.Microseconds())/1000)
		}
		slices.Sort(lat)
		emit(map[string]any{"label": *label, "system": "inboxkit-" + *store, "mode": "search", "query_name": q.Name, "query": q.Query,
			"reps": *reps, "p50_ms": pct(lat, 0.5), "p95_ms": pct(lat, 0.95), "cold_ms": round(float64(cold.Microseconds()) / 1000),
			"returned": len(page.Items), "total_conversations": page.Total, "total_exact": page.TotalExact, "expect_messages": q.Expect})
	}
}

// peerAppName is the application_name of the store's connections.
const peerAppName = "inboxkit-peer"

// withAppName sets application_name in a postgres:// URL or a key=value
// DSN.
func withAppName(dsn, name string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("application_name", name)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " application_name=" + name
}

// serverTicks reads the CPU clock ticks (user + system) of each PostgreSQL
// backend serving the store, by process id; the server runs on this
// machine in the side-by-side runs. Nil for SQLite or a remote server.
func serverTicks(ctx context.Context, store, dsn string) map[int]int64 {
	if store != "postgres" {
		return nil
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, peerAppName)
	if err != nil {
		return nil
	}
	defer rows.Close()
	out := map[int]int64{}
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) != nil {
			return nil
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the parenthesised command: state is field 3, utime 14, stime 15.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		out[pid] = u + s
	}
	return out
}

// serverSeconds is the CPU the backends spent between two readings; a
// backend absent from the first started in between.
func serverSeconds(before, after map[int]int64) float64 {
	var ticks int64
	for pid, t := range after {
		ticks += t - before[pid]
	}
	return float64(ticks) / 100 // USER_HZ, 100 on Linux
}

func emit(v map[string]any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func pct(sorted []float64, p float64) float64 {
	return round(sorted[min(len(sorted)-1, int(float64(len(sorted))*p))])
}

func round(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
