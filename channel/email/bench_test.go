package email

import (
	"bytes"
	"context"
	"os"
	"testing"
)

// BenchmarkParse parses every file of the corpus (the 5 MB message
// excluded) with attachments and raw bytes streamed to an in-memory
// BlobStore.
func BenchmarkParse(b *testing.B) {
	files := corpusFiles(b)
	var msgs [][]byte
	total := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, raw)
		total += len(raw)
	}
	benchParse(b, ParseOptions{Tenant: "t", Blobs: newMemBlobs()}, msgs, total)
}

// benchParse parses every message once per iteration and reports the
// time per message.
func benchParse(b *testing.B, opts ParseOptions, msgs [][]byte, total int) {
	p, err := NewParser(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		for _, raw := range msgs {
			if _, err := p.Parse(context.Background(), bytes.NewReader(raw)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(msgs))/1000, "µs/msg")
}

// BenchmarkParseLarge parses the generated 5 MB message.
func BenchmarkParseLarge(b *testing.B) {
	var path string
	for _, c := range loadCorpus(b) {
		if c.Generated {
			path = c.path
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Skip("large message unavailable")
	}
	p, err := NewParser(ParseOptions{Tenant: "t", Blobs: newMemBlobs()})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := p.Parse(context.Background(), bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseSupportMail parses the generated support mail of the
// Dovecot benchmarks (text and HTML alternatives, a PDF on one in twelve)
// with nothing kept: the parser's own cost per message of a first sync.
func BenchmarkParseSupportMail(b *testing.B) {
	msgs := make([][]byte, 120)
	total := 0
	for i := range msgs {
		msgs[i] = benchMail(i + 700)
		total += len(msgs[i])
	}
	benchParse(b, ParseOptions{}, msgs, total)
}
