package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/examples/server/internal/demo"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/dovecot"
)

// BenchmarkServerFirstSync is a team connecting a mailbox that already
// holds 10,000 messages (about 6 kB each) to the reference server on
// SQLite: an admin adds it through the API (the connection test logs in)
// and presses "Sync now", whose answer comes when every message is
// stored. Reports the first sync's wall time (first-sync-s, target 10 s)
// and the processor time the server (sync-cpu-s, the process running the
// benchmark) and Dovecot (dovecot-cpu-s) spent on it; then the CPU of the
// server process for a sync that finds nothing new (noop-cpu-ms, target
// 20 ms), and when the offline labeller, which runs as background work
// once intake pauses, has labelled every conversation (labelled-s, from
// the start of the sync). Run with -benchtime 1x;
// INBOXKIT_BENCH_MESSAGES changes the mailbox's size, and
// INBOXKIT_BENCH_SYNC_PROFILE names a file for a CPU profile of the first
// sync alone (-cpuprofile also covers building the mailbox and labelling).
func BenchmarkServerFirstSync(b *testing.B) {
	if testing.Short() {
		b.Skip("syncs 10,000 messages")
	}
	n := 10_000
	if v, err := strconv.Atoi(os.Getenv("INBOXKIT_BENCH_MESSAGES")); err == nil && v > 0 {
		n = v
	}
	imap := dovecot.Start(b)
	user := imap.Users[0]
	_, port, err := net.SplitHostPort(imap.Addr)
	require.NoError(b, err)
	body := strings.Repeat("Bonjour, je vous écris au sujet de ma commande et de sa livraison. ", 90)
	require.NoError(b, imap.WriteMaildir(user.Name, "INBOX", n, func(i int) []byte {
		return fmt.Appendf(nil, "From: Client %d <client%d@example.org>\r\nTo: %s\r\nSubject: Commande %d\r\nMessage-ID: <first-sync-%d@example.org>\r\n"+
			"Date: Mon, 02 Mar 2026 10:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", i%2000, i%2000, user.Name, i, i, body)
	}))
	for b.Loop() {
		b.StopTimer()
		a, ts := newServer(b)
		api := loginBench(b, ts.URL)
		var integ struct {
			ID string `json:"id"`
		}
		require.NoError(b, json.Unmarshal(api.call(http.MethodPost, "/inbox/integrations", mailbox("Support", port, user.Name, user.Password), http.StatusCreated), &integ))

		b.StartTimer()
		began := time.Now()
		syncCPU0 := processCPU()
		stopProfile := profileSync(b)
		imapCPU := imap.WatchCPU()
		var rep struct {
			New, Duplicates int
		}
		require.NoError(b, json.Unmarshal(api.call(http.MethodPost, "/inbox/integrations/"+integ.ID+"/sync", nil, http.StatusOK), &rep))
		first := time.Since(began)
		stopProfile()
		b.StopTimer()
		syncCPU := processCPU() - syncCPU0
		dovecotCPU := imapCPU.Stop()
		require.Equal(b, n, rep.New+rep.Duplicates, "every message of the mailbox stored by the first sync")

		cpu0 := processCPU()
		api.call(http.MethodPost, "/inbox/integrations/"+integ.ID+"/sync", nil, http.StatusOK)
		noop := processCPU() - cpu0
		// The offline labeller runs as background work once intake
		// pauses: wait until every conversation has its labels.
		for {
			var pending []inbox.WorkItem
			require.NoError(b, a.Store.View(context.Background(), demo.TenantID, func(tx driver.Tx) error {
				var err error
				pending, err = tx.ListWork(inbox.WorkQuery{Kind: inbox.WorkClassify, Limit: 1})
				return err
			}))
			if len(pending) == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		labelled := time.Since(began)
		b.ReportMetric(first.Seconds(), "first-sync-s")
		// On a machine shared with other work the wall time says little:
		// the processor time of the server and of Dovecot is what the
		// sync costs.
		b.ReportMetric(syncCPU.Seconds(), "sync-cpu-s")
		b.ReportMetric(dovecotCPU.Seconds(), "dovecot-cpu-s")
		b.ReportMetric(float64(noop.Microseconds())/1000, "noop-cpu-ms")
		b.ReportMetric(labelled.Seconds(), "labelled-s")
		b.StartTimer()
	}
}

// profileSync starts a CPU profile into $INBOXKIT_BENCH_SYNC_PROFILE, if
// set, and returns what stops it.
func profileSync(b *testing.B) (stop func()) {
	path := os.Getenv("INBOXKIT_BENCH_SYNC_PROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	require.NoError(b, err)
	require.NoError(b, pprof.StartCPUProfile(f))
	return func() {
		pprof.StopCPUProfile()
		require.NoError(b, f.Close())
	}
}

// processCPU is the CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
