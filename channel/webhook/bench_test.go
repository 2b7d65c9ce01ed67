package webhook_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/inboxkit/inboxkit/channel/webhook"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/loadgen"
	"github.com/inboxkit/inboxkit/storage/memstore"
	"github.com/inboxkit/inboxkit/storage/postgres"
	"github.com/inboxkit/inboxkit/storage/sqlite"
)

// benchStores are the stores intake is measured on. open returns the store
// and what brings it to the state of a database in service after the
// warm-up (nil: nothing to do).
var benchStores = []struct {
	name string
	open func(b *testing.B) (driver.Store, func())
}{
	{"memstore", func(b *testing.B) (driver.Store, func()) { return memstore.New(), nil }},
	{"sqlite", func(b *testing.B) (driver.Store, func()) {
		s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "inbox.db"), sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		return s, nil
	}},
	{"postgres", func(b *testing.B) (driver.Store, func()) {
		dsn := os.Getenv("INBOXKIT_TEST_POSTGRES")
		if dsn == "" {
			dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		}
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			b.Fatal(err)
		}
		admin := stdlib.OpenDB(*cfg)
		if err := admin.PingContext(context.Background()); err != nil {
			_ = admin.Close()
			b.Skipf("PostgreSQL not reachable at INBOXKIT_TEST_POSTGRES (%s:%d): %v", cfg.Host, cfg.Port, err)
		}
		raw := make([]byte, 6)
		_, _ = rand.Read(raw)
		schema := "inboxkit_bench_" + hex.EncodeToString(raw)
		s, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			_ = s.Close()
			dropSchema(b, admin, schema)
		})
		// Autovacuum analyses tables within a minute of their filling;
		// before that the planner takes the fresh tables for empty ones
		// and scans a tenant's rows for every key. A database in service
		// has statistics: give the bench's its.
		analyze := func() {
			if os.Getenv("INBOXKIT_BENCH_COLD") != "" {
				return
			}
			if _, err := admin.ExecContext(context.Background(), `ANALYZE`); err != nil {
				b.Fatal(err)
			}
		}
		return s, analyze
	}},
}

func dropSchema(b *testing.B, db *sql.DB, schema string) {
	if _, err := db.ExecContext(context.Background(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
		b.Errorf("drop schema %s: %v", schema, err)
	}
	_ = db.Close()
}

// intakeServer serves the custom webhook receiver over loopback HTTP.
func intakeServer(b *testing.B, store driver.Store, opts inbox.Options) (*httptest.Server, webhook.Secret, *inbox.Engine) {
	b.Helper()
	ctx := context.Background()
	if err := store.CreateTenant(ctx, &inbox.Tenant{ID: "acme", Name: "Acme"}); err != nil {
		b.Fatal(err)
	}
	opts.Store = store
	eng, err := inbox.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = eng.Close() })
	secret, err := webhook.NewSecret()
	if err != nil {
		b.Fatal(err)
	}
	target := webhook.Target{Tenant: "acme", Integration: inbox.Integration{ID: "hook-1", TenantID: "acme"}, Secrets: []string{secret.Encode()}}
	receiver, err := webhook.NewReceiver(eng, webhook.Options{
		Resolve: func(_ context.Context, r *http.Request) (webhook.Target, error) {
			if r.PathValue("id") != "hook-1" {
				return webhook.Target{}, inbox.ErrNotFound
			}
			return target, nil
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /inbox/webhooks/custom/{id}", receiver)
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	return srv, secret, eng
}

// intakeRequest is message i of a run: 500 customers writing in turn, so
// conversations grow and new ones keep being created.
func intakeRequest(url, run string, secret webhook.Secret) func(i int) (*http.Request, error) {
	return func(i int) (*http.Request, error) {
		body := fmt.Sprintf(`{"external_id":"%s-%d","channel":"form","from":{"name":"Customer %d","email":"customer%d@example.com"},`+
			`"to":"support","subject":"Question about order %d","text":"Hello, I would like to know when order %d will ship. %s","sent_at":"%s"}`,
			run, i, i%500, i%500, i, i, strings.Repeat("Thanks! ", 8), time.Now().UTC().Format(time.RFC3339))
		req, err := http.NewRequest(http.MethodPost, url+"/inbox/webhooks/custom/hook-1", strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		webhook.SignHeaders(req.Header, fmt.Sprintf("msg_%s_%d", run, i), time.Now(), []byte(body), secret)
		return req, nil
	}
}

// warmUp is how many messages reach a store before a run is measured:
// every customer of intakeRequest has a conversation, as in service.
const warmUp = 1000

func runIntake(b *testing.B, store driver.Store, settle func(), opts loadgen.Options) loadgen.Result {
	b.Helper()
	res, _ := runIntakeWith(b, store, settle, opts, inbox.Options{}, nil)
	return res
}

// runIntakeWith is runIntake on an engine built from engOpts; ready, when
// set, prepares the engine before the warm-up.
func runIntakeWith(b *testing.B, store driver.Store, settle func(), opts loadgen.Options, engOpts inbox.Options, ready func(*inbox.Engine)) (loadgen.Result, *inbox.Engine) {
	b.Helper()
	srv, secret, eng := intakeServer(b, store, engOpts)
	if ready != nil {
		ready(eng)
	}
	warm, err := loadgen.Run(context.Background(), loadgen.Options{
		Requests: warmUp, Workers: 16, NewRequest: intakeRequest(srv.URL, "warm-up", secret),
	})
	if err != nil || warm.OK() != warmUp {
		b.Fatalf("warm-up: %v %s", err, warm)
	}
	if settle != nil {
		settle()
	}
	opts.Requests = b.N
	opts.NewRequest = intakeRequest(srv.URL, fmt.Sprint(time.Now().UnixNano()), secret)
	b.ResetTimer()
	res, err := loadgen.Run(context.Background(), opts)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if res.OK() != b.N {
		b.Fatalf("only %d of %d requests stored: %s", res.OK(), b.N, res)
	}
	b.ReportMetric(res.Throughput, "req/s")
	b.ReportMetric(float64(res.P50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(res.P99.Microseconds())/1000, "p99-ms")
	b.Logf("%s", res)
	return res, eng
}

// BenchmarkIntakeThroughput measures durable intake (verify, dedupe,
// persist) of signed custom webhooks over loopback HTTP with 32 requests
// in flight, after a warm-up of 1,000 messages (and, on PostgreSQL, the
// ANALYZE autovacuum would have run by then; INBOXKIT_BENCH_COLD=1 skips
// it). Run with -benchtime=5000x for a bounded run.
func BenchmarkIntakeThroughput(b *testing.B) {
	for _, st := range benchStores {
		b.Run(st.name, func(b *testing.B) {
			store, settle := st.open(b)
			runIntake(b, store, settle, loadgen.Options{Workers: 32})
		})
	}
}

// BenchmarkIntakeLatency500 sends b.N requests at 500 per second and
// reports latency percentiles measured from each request's planned send
// time. Run with -benchtime=5000x (10 seconds).
func BenchmarkIntakeLatency500(b *testing.B) {
	for _, st := range benchStores {
		b.Run(st.name, func(b *testing.B) {
			store, settle := st.open(b)
			runIntake(b, store, settle, loadgen.Options{Workers: 64, Rate: 500})
		})
	}
}

// slowResponder drafts an answer in a fixed time, like a model that takes
// seconds to write one.
type slowResponder struct{ delay time.Duration }

func (r slowResponder) Respond(ctx context.Context, in inbox.ReplyInput) (inbox.Reply, error) {
	select {
	case <-time.After(r.delay):
		return inbox.Reply{Text: "Bonjour, votre commande part demain.", Confidence: 0.9}, nil
	case <-ctx.Done():
		return inbox.Reply{}, ctx.Err()
	}
}

// BenchmarkIntakeLatency500SlowResponder is BenchmarkIntakeLatency500 with
// every conversation filed into a folder that drafts an answer for
// approval by a responder taking 3 s a call (32 calls at once), the
// engine's background work running meanwhile: intake must answer as fast as without a model. It
// also reports how long after the last request every conversation had
// its draft (drafts-s) and how many drafts failed (failed-drafts).
func BenchmarkIntakeLatency500SlowResponder(b *testing.B) {
	for _, st := range benchStores {
		b.Run(st.name, func(b *testing.B) {
			store, settle := st.open(b)
			var folderID string
			classifier := inbox.ClassifierFunc(func(context.Context, inbox.ClassifyInput) (inbox.Decision, error) {
				return inbox.Decision{FolderID: folderID, By: "bench", Reason: "every order question"}, nil
			})
			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			workDone := make(chan struct{})
			_, eng := runIntakeWith(b, store, settle, loadgen.Options{Workers: 64, Rate: 500},
				inbox.Options{Classifier: classifier, Responder: slowResponder{delay: 3 * time.Second}, MaxConcurrentWork: 32},
				func(eng *inbox.Engine) {
					tn, err := store.GetTenant(ctx, "acme")
					if err != nil {
						b.Fatal(err)
					}
					tn.Settings.ReplyPrompt = "You answer Acme's customers."
					if err := store.UpdateTenant(ctx, &tn); err != nil {
						b.Fatal(err)
					}
					f, err := eng.SaveFolder(ctx, "acme", inbox.Folder{Name: "Commandes",
						AutoReply: inbox.AutoReplySettings{Mode: inbox.AutoReplyApproval, Prompt: "Answer politely."}}, inbox.Change{Actor: "bench"})
					if err != nil {
						b.Fatal(err)
					}
					folderID = f.ID
					go func() { defer close(workDone); _ = eng.RunWork(ctx, time.Second) }()
				})
			sent := time.Now()
			conversations := func() int {
				page, err := eng.Conversations(ctx, "acme", inbox.ConversationQuery{Limit: 1, WithTotal: true})
				if err != nil {
					b.Fatal(err)
				}
				return page.Total
			}()
			var drafts, failed int
			for time.Since(sent) < 15*time.Minute {
				pending, err := eng.Drafts(ctx, "acme", inbox.DraftQuery{Status: inbox.DraftPending})
				if err != nil {
					b.Fatal(err)
				}
				bad, err := eng.Drafts(ctx, "acme", inbox.DraftQuery{Status: inbox.DraftFailed})
				if err != nil {
					b.Fatal(err)
				}
				drafts, failed = len(pending), len(bad)
				if drafts+failed >= conversations {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			stop()
			<-workDone
			if drafts < conversations {
				b.Errorf("%d of %d conversations have a draft, %d failed", drafts, conversations, failed)
			}
			b.ReportMetric(time.Since(sent).Seconds(), "drafts-s")
			b.ReportMetric(float64(failed), "failed-drafts")
		})
	}
}

// BenchmarkVerifyStandard measures signature verification alone.
func BenchmarkVerifyStandard(b *testing.B) {
	secret, _ := webhook.NewSecret()
	body := []byte(strings.Repeat(`{"external_id":"x","text":"hello"}`, 30))
	h := http.Header{}
	now := time.Now()
	webhook.SignHeaders(h, "msg_1", now, body, secret)
	secrets := []webhook.Secret{secret}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := webhook.VerifyStandard(h, body, secrets, now, 0); err != nil {
			b.Fatal(err)
		}
	}
}
