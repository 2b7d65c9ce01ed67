package email

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/dovecot"
	"github.com/inboxkit/inboxkit/storage/blob"
	"github.com/inboxkit/inboxkit/storage/sqlite"
)

// benchWords is French support-mail vocabulary for generated bodies.
var benchWords = strings.Fields(`bonjour commande livraison lampe suspension abat-jour colis retour remboursement
facture merci cordialement délai showroom ampoule câble variateur garantie devis rendez-vous adresse
numéro suivi transporteur problème cassé rayé couleur laiton noir blanc opaline taille hauteur prix
promotion client question réponse semaine demain lundi mardi urgent possible disponible stock`)

// benchMail generates message i of a realistic support mailbox (about 17
// KB on average): text and HTML alternatives, replies threaded to earlier
// mail of the same customer, and a PDF on one message in twelve.
func benchMail(i int) []byte {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	para := func(words int) string {
		var b strings.Builder
		for w := 0; w < words; w++ {
			if w > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(benchWords[r.IntN(len(benchWords))])
			if w%14 == 13 {
				b.WriteString(".\r\n")
			}
		}
		return b.String()
	}
	customer := i % 700
	var h strings.Builder
	fmt.Fprintf(&h, "Return-Path: <client%d@courriel.example>\r\nFrom: Client %d <client%d@courriel.example>\r\n", customer, customer, customer)
	fmt.Fprintf(&h, "To: support@maison-lumiere.example\r\nMessage-ID: <bench-%d@courriel.example>\r\n", i)
	fmt.Fprintf(&h, "Date: %s\r\n", time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Minute).Format(time.RFC1123Z))
	if prev := i - 700; prev >= 0 {
		fmt.Fprintf(&h, "Subject: Re: Commande %d\r\nIn-Reply-To: <bench-%d@courriel.example>\r\nReferences: <bench-%d@courriel.example>\r\n", customer, prev, prev)
	} else {
		fmt.Fprintf(&h, "Subject: Commande %d\r\n", customer)
	}
	h.WriteString("MIME-Version: 1.0\r\n")
	text := para(800)
	html := "<html><body><p>" + strings.ReplaceAll(para(800), ".\r\n", ".</p>\r\n<p>") + "</p></body></html>"
	alt := "Content-Type: multipart/alternative; boundary=alt\r\n\r\n--alt\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\n" + text + "\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\n" + html + "\r\n--alt--\r\n"
	if i%12 != 0 {
		return []byte(h.String() + alt)
	}
	pdf := make([]byte, 36<<10)
	copy(pdf, "%PDF-1.4\n")
	for j := 9; j < len(pdf); j++ {
		pdf[j] = byte(r.IntN(256))
	}
	var b64 strings.Builder
	enc := base64Lines(pdf)
	b64.WriteString(enc)
	return []byte(h.String() + "Content-Type: multipart/mixed; boundary=mix\r\n\r\n--mix\r\n" + alt +
		"--mix\r\nContent-Type: application/pdf; name=\"facture.pdf\"\r\nContent-Disposition: attachment; filename=\"facture.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + b64.String() + "--mix--\r\n")
}

// heapPeak samples the Go heap (live and not yet collected objects) until
// stopped.
type heapPeak struct {
	peak atomic.Uint64
	stop chan struct{}
	done chan struct{}
}

func watchHeap() *heapPeak {
	h := &heapPeak{stop: make(chan struct{}), done: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(h.done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > h.peak.Load() {
				h.peak.Store(v)
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapPeak) Stop() uint64 { close(h.stop); <-h.done; return h.peak.Load() }

// benchMailbox starts Dovecot with n generated messages in INBOX.
func benchMailbox(b *testing.B, n int) (*dovecot.Server, int64) {
	b.Helper()
	srv := dovecot.Start(b)
	var total int64
	err := srv.WriteMaildir(srv.Users[0].Name, "INBOX", n, func(i int) []byte {
		m := benchMail(i)
		total += int64(len(m))
		return m
	})
	if err != nil {
		b.Fatal(err)
	}
	return srv, total
}

func benchMessages() int {
	if v, err := strconv.Atoi(os.Getenv("INBOXKIT_BENCH_MESSAGES")); err == nil && v > 0 {
		return v
	}
	return 10_000
}

// benchEngine is an engine on SQLite and a directory BlobStore in dir,
// with one integration on srv.
func benchEngine(b *testing.B, dir string, srv *dovecot.Server, durableBlobs bool) *inbox.Engine {
	b.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "inbox.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	var blobs inbox.BlobStore = &fileBlobs{dir: filepath.Join(dir, "blobs")}
	if durableBlobs {
		d, err := blob.Dir(filepath.Join(dir, "blobs"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { d.Close() })
		blobs = d
	}
	if err := store.CreateTenant(ctx, &inbox.Tenant{ID: "t1", Name: "bench"}); err != nil {
		b.Fatal(err)
	}
	eng, err := inbox.New(inbox.Options{
		Store: store, Blobs: blobs, Sealer: plainSealer{},
		Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: Factory(FactoryOptions{Blobs: blobs})},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { eng.Close() })
	engineStores.Store(eng, store)
	host, port, _ := strings.Cut(srv.Addr, ":")
	u := srv.Users[0]
	err = store.Update(ctx, "t1", func(tx driver.Tx) error {
		return tx.CreateIntegration(&inbox.Integration{
			ID: "mail1", TenantID: "t1", Kind: inbox.SourceEmail, Name: "support", Enabled: true,
			Config: map[string]string{
				ConfigIMAPHost: host, ConfigIMAPPort: port, ConfigIMAPSecurity: "plain", ConfigUsername: u.Name,
				ConfigAddress: "support@maison-lumiere.example", ConfigBatchSize: "200",
			},
			Secrets: map[string][]byte{SecretPassword: []byte(u.Password)},
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	return eng
}

// BenchmarkDovecotFirstSync measures the first sync of a generated
// mailbox (10,000 messages, about 170 MB, by default; set
// INBOXKIT_BENCH_MESSAGES) from a local Dovecot into SQLite with blobs on
// disk, and reports the peak Go heap during it. Run with -benchtime=1x.
//
// Two blob stores are measured: storage/blob's directory store, which
// makes the blobs of each batch durable before the batch is committed, and
// files written without sync, which shows what the rest of the pipeline
// costs.
//
// The stores' files are all removed at the end: on a filesystem without a
// journal, ext4 avoids reusing inodes freed in the last 30 seconds and
// scans past them at every file creation, so removing one variant's
// 10,000 blobs just before the next variant runs would slow the second.
func BenchmarkDovecotFirstSync(b *testing.B) {
	n := benchMessages()
	srv, total := benchMailbox(b, n)
	for _, durable := range []bool{true, false} {
		name := "blobs=dir-fsync"
		if !durable {
			name = "blobs=files-nosync"
		}
		b.Run(name, func(sub *testing.B) { benchFirstSync(sub, b, srv, n, total, durable) })
	}
}

// benchFirstSync runs the first sync in directories of parent, removed
// when parent ends.
func benchFirstSync(b, parent *testing.B, srv *dovecot.Server, n int, total int64, durable bool) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		eng := benchEngine(b, parent.TempDir(), srv, durable)
		runtime.GC()
		peak := watchHeap()
		start := time.Now()
		cpu0 := processCPU()
		srvCPU := srv.WatchCPU()
		b.StartTimer()
		report, err := eng.Sync(ctx, "t1", "mail1")
		b.StopTimer()
		elapsed := time.Since(start)
		cpu := processCPU() - cpu0
		srvUsed := srvCPU.Stop()
		p := peak.Stop()
		if err != nil {
			b.Fatal(err)
		}
		if report.New != n {
			b.Fatalf("stored %d of %d messages: %+v", report.New, n, report)
		}
		b.Logf("first sync of %d messages: %.2f s wall, %.2f s client CPU, %.2f s Dovecot CPU, peak heap %.1f MB",
			n, elapsed.Seconds(), cpu.Seconds(), srvUsed.Seconds(), float64(p)/(1<<20))
		b.ReportMetric(float64(p)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
		b.ReportMetric(float64(total)/(1<<20), "mailbox-MB")
		// On a machine shared with other work, wall time says little: the
		// processor time of this process and of Dovecot is what the sync
		// costs.
		b.ReportMetric(cpu.Seconds(), "client-cpu-s")
		b.ReportMetric(srvUsed.Seconds(), "dovecot-cpu-s")
		b.StartTimer()
	}
}

// BenchmarkDovecotNoopPoll measures a sync that finds nothing new: connect,
// log in, check each folder's STATUS, record the outcome.
func BenchmarkDovecotNoopPoll(b *testing.B) {
	srv, _ := benchMailbox(b, min(benchMessages(), 2000))
	eng := benchEngine(b, b.TempDir(), srv, true)
	ctx := context.Background()
	if _, err := eng.Sync(ctx, "t1", "mail1"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		report, err := eng.Sync(ctx, "t1", "mail1")
		if err != nil {
			b.Fatal(err)
		}
		if report.Fetched != 0 {
			b.Fatalf("no-op poll fetched %d", report.Fetched)
		}
	}
}

// fileBlobs writes blobs as plain files without syncing them.
type fileBlobs struct{ dir string }

func (f *fileBlobs) path(key string) string { return filepath.Join(f.dir, filepath.FromSlash(key)) }

func (f *fileBlobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	p := f.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return 0, err
	}
	file, err := os.Create(p)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(file, r)
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	return n, err
}

func (f *fileBlobs) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	return os.Open(f.path(key))
}

func (f *fileBlobs) Delete(ctx context.Context, key string) error {
	if err := os.Remove(f.path(key)); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// BenchmarkDovecotPullOnly measures the channel alone on the same
// mailbox: fetch, parse and keep the raw mail (unsynced files), handing
// batches to a deliver function that stores nothing. Compared with
// BenchmarkDovecotFirstSync it separates the channel's cost from the
// engine's and the store's.
func BenchmarkDovecotPullOnly(b *testing.B) {
	n := benchMessages()
	srv, _ := benchMailbox(b, n)
	u := srv.Users[0]
	for b.Loop() {
		b.StopTimer()
		ch, err := New(Options{
			IntegrationID: "mail1", Tenant: "t1", IMAP: Server{Addr: srv.Addr, Security: SecurityPlain},
			Auth: Auth{Username: u.Name, Password: Secret(u.Password)}, BatchSize: 200,
			Blobs: &fileBlobs{dir: b.TempDir()},
		})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		peak := watchHeap()
		fetched := 0
		b.StartTimer()
		err = ch.Pull(context.Background(), "", func(ctx context.Context, batch inbox.Batch) (inbox.IngestResult, error) {
			fetched += len(batch.Messages)
			return inbox.IngestResult{}, nil
		})
		b.StopTimer()
		p := peak.Stop()
		if err != nil {
			b.Fatal(err)
		}
		if fetched != n {
			b.Fatalf("fetched %d of %d", fetched, n)
		}
		b.ReportMetric(float64(p)/(1<<20), "peak-heap-MB")
		b.StartTimer()
	}
}

// BenchmarkDovecotIdleArrival measures the time from the APPEND of a new
// message to its storage by the engine, with Watch (IMAP IDLE) asking for
// a pull on the server's notice.
func BenchmarkDovecotIdleArrival(b *testing.B) {
	srv := dovecot.Start(b)
	eng := benchEngine(b, b.TempDir(), srv, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var in inbox.Integration
	if err := storeOf(eng).View(ctx, "t1", func(tx driver.Tx) error {
		var err error
		in, err = tx.GetIntegration("mail1")
		return err
	}); err != nil {
		b.Fatal(err)
	}
	ch, err := eng.OpenChannel(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	stored := make(chan int, 64)
	go ch.(inbox.Watcher).Watch(ctx, func() {
		if r, err := eng.Sync(ctx, "t1", "mail1"); err == nil && r.New > 0 {
			stored <- r.New
		}
	})
	u := srv.Users[0]
	admin, err := imapclient.DialInsecure(srv.Addr, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	if err := admin.Login(u.Name, u.Password).Wait(); err != nil {
		b.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // the watcher is idling
	i := 0
	for b.Loop() {
		i++
		raw := testMail(100 + i)
		cmd := admin.Append("INBOX", int64(len(raw)), nil)
		if _, err := cmd.Write(raw); err != nil {
			b.Fatal(err)
		}
		if err := cmd.Close(); err != nil {
			b.Fatal(err)
		}
		if _, err := cmd.Wait(); err != nil {
			b.Fatal(err)
		}
		select {
		case <-stored:
		case <-time.After(30 * time.Second):
			b.Fatal("the new message was not stored")
		}
	}
}

// processCPU is the processor time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
