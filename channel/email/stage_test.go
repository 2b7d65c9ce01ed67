package email

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// stagingRecorder is an inbox.BlobBatcher over memBlobs that tells staged
// blobs from durable ones: a Sync makes durable what was staged before it.
type stagingRecorder struct {
	*memBlobs
	mu      sync.Mutex
	staged  map[string]bool
	durable map[string]bool
	puts    int
	syncs   int
	syncErr error
}

var _ inbox.BlobBatcher = (*stagingRecorder)(nil)

func newStagingRecorder() *stagingRecorder {
	return &stagingRecorder{memBlobs: newMemBlobs(), staged: map[string]bool{}, durable: map[string]bool{}}
}

func (s *stagingRecorder) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	n, err := s.memBlobs.Put(ctx, key, r)
	s.mu.Lock()
	s.puts++
	s.durable[key] = err == nil
	s.mu.Unlock()
	return n, err
}

func (s *stagingRecorder) Stage(ctx context.Context, key string, r io.Reader) (int64, error) {
	n, err := s.memBlobs.Put(ctx, key, r)
	if err == nil {
		s.mu.Lock()
		s.staged[key] = true
		s.mu.Unlock()
	}
	return n, err
}

func (s *stagingRecorder) Sync(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncs++
	if s.syncErr != nil {
		return s.syncErr
	}
	for key := range s.staged {
		s.durable[key] = true
	}
	clear(s.staged)
	return nil
}

// undurable lists the blob keys of b that no Sync has made durable yet.
func (s *stagingRecorder) undurable(b inbox.Batch) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range b.Messages {
		keys := []string{m.RawKey}
		for _, a := range m.Attachments {
			if a.BlobKey != "" {
				keys = append(keys, a.BlobKey)
			}
		}
		for _, k := range keys {
			if !s.durable[k] {
				out = append(out, k)
			}
		}
	}
	return out
}

// mailWithPDF is testMail with a PDF attachment.
func mailWithPDF(i int) []byte {
	pdf := []byte("%PDF-1.4\n" + strings.Repeat("0123456789", 300))
	return []byte(fmt.Sprintf("From: Client %d <client%d@courriel.example>\r\nTo: support@maison-lumiere.example\r\n"+
		"Subject: Facture %d\r\nMessage-ID: <pdf-%d@courriel.example>\r\nDate: Wed, 20 Mar 2024 10:00:00 +0100\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=mix\r\n\r\n"+
		"--mix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nLa facture est jointe.\r\n"+
		"--mix\r\nContent-Type: application/pdf; name=\"facture.pdf\"\r\nContent-Disposition: attachment; filename=\"facture.pdf\"\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\n%s--mix--\r\n", i, i, i, i, base64Lines(pdf)))
}

func TestPullMakesStagedBlobsDurableBeforeDelivering(t *testing.T) {
	addr := startMemIMAP(t)
	admin := imapAdmin(t, addr, imapUser, imapPassword)
	for i := 1; i <= 7; i++ {
		raw := testMail(i)
		if i%3 == 0 {
			raw = mailWithPDF(i)
		}
		appendMail(t, admin, "INBOX", raw)
	}
	blobs := newStagingRecorder()
	ch := newIMAPChannel(t, addr, func(o *Options) { o.Blobs = blobs; o.BatchSize = 3 })
	// deliver runs on the channel's goroutine: it records, the test checks.
	var batches, attachments, rawKeys int
	var undurable []string
	err := ch.Pull(context.Background(), "", func(ctx context.Context, b inbox.Batch) (inbox.IngestResult, error) {
		undurable = append(undurable, blobs.undurable(b)...)
		for _, m := range b.Messages {
			if m.RawKey != "" {
				rawKeys++
			}
			for _, a := range m.Attachments {
				if a.BlobKey != "" {
					attachments++
				}
			}
		}
		if len(b.Messages) > 0 {
			batches++
		}
		return inbox.IngestResult{Stored: len(b.Messages)}, nil
	})
	require.NoError(t, err)
	require.Empty(t, undurable, "a batch is delivered only once its blobs are durable")
	require.Equal(t, 3, batches)
	require.Equal(t, 7, rawKeys)
	require.Equal(t, 2, attachments, "the PDFs are kept")
	require.Zero(t, blobs.puts, "the pull stages every blob, raw messages and attachments")
	require.GreaterOrEqual(t, blobs.syncs, batches)
}

func TestPullCommitsNothingWhenBlobSyncFails(t *testing.T) {
	addr := startMemIMAP(t)
	admin := imapAdmin(t, addr, imapUser, imapPassword)
	appendMail(t, admin, "INBOX", testMail(1))
	appendMail(t, admin, "INBOX", testMail(2))
	blobs := newStagingRecorder()
	blobs.syncErr = errors.New("syncfs: input/output error")
	ch := newIMAPChannel(t, addr, func(o *Options) { o.Blobs = blobs })
	col := &collector{}
	err := ch.Pull(context.Background(), "", col.deliver)
	require.ErrorContains(t, err, "input/output error")
	require.Empty(t, col.batches, "a batch whose blobs could not be made durable is not committed")
}
