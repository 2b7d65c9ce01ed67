package bench_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/internal/bench"
	"github.com/inboxkit/inboxkit/storage/sqlite"
)

// rawMail renders a generated message as the RFC 5322 bytes a host reads
// from an export or a mail spool.
func rawMail(in inbox.Inbound) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: %s\r\n",
		in.From.Name, in.From.Email, in.To[0].Email, in.Subject, in.MessageID, in.SentAt.Format(time.RFC1123Z))
	if in.InReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\n", in.InReplyTo)
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	b.WriteString(in.Text)
	b.WriteString("\r\n")
	return b.Bytes()
}

// BenchmarkHostIngest is what a host program does with mail it holds:
// parse each message with the email channel's parser, then ingest in
// batches of 200 on SQLite. "sequential" parses a batch, then commits it;
// "ingester" hands messages to an inbox.Ingester, which commits each
// batch while the next is parsed. Reports messages per second.
func BenchmarkHostIngest(b *testing.B) {
	const n = 4000
	gen := bench.New(bench.Options{Messages: n, Seed: 7})
	var raws [][]byte
	for !gen.Done() {
		for _, in := range gen.Next(200) {
			raws = append(raws, rawMail(in))
		}
	}
	parser, err := email.NewParser(email.ParseOptions{})
	require.NoError(b, err)
	parse := func(i int) inbox.Inbound {
		p, err := parser.Parse(context.Background(), bytes.NewReader(raws[i]))
		require.NoError(b, err)
		in := p.Inbound
		in.IntegrationID, in.ProviderID = "import", fmt.Sprint(i)
		return in
	}
	for _, mode := range []string{"sequential", "ingester"} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				ctx := context.Background()
				s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "inbox.db"), sqlite.Options{})
				require.NoError(b, err)
				require.NoError(b, s.CreateTenant(ctx, &inbox.Tenant{ID: "acme", Name: "Acme"}))
				eng, err := inbox.New(inbox.Options{Store: s})
				require.NoError(b, err)
				b.StartTimer()
				switch mode {
				case "sequential":
					for start := 0; start < len(raws); start += 200 {
						batch := make([]inbox.Inbound, 0, 200)
						for i := start; i < min(start+200, len(raws)); i++ {
							batch = append(batch, parse(i))
						}
						_, err := eng.Ingest(ctx, "acme", batch)
						require.NoError(b, err)
					}
				case "ingester":
					ing := eng.NewIngester(ctx, "acme", inbox.IngesterOptions{})
					for i := range raws {
						require.NoError(b, ing.Add(parse(i)))
					}
					_, err := ing.Close()
					require.NoError(b, err)
				}
				b.StopTimer()
				_ = eng.Close()
				_ = s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(len(raws)*b.N)/b.Elapsed().Seconds(), "msg/s")
		})
	}
}
