package email

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// countingBlobs discards bytes, remembering only their count.
type countingBlobs struct{ sizes map[string]int64 }

func (c *countingBlobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	n, err := io.Copy(io.Discard, r)
	c.sizes[key] = n
	return n, err
}
func (c *countingBlobs) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	return nil, inbox.ErrNotFound
}
func (c *countingBlobs) Delete(ctx context.Context, key string) error {
	delete(c.sizes, key)
	return nil
}

// lineReader yields n bytes of text lines without holding them.
type lineReader struct{ left int64 }

func (l *lineReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, io.EOF
	}
	const line = "Une ligne de texte assez longue pour remplir le message rapidement.\r\n"
	n := 0
	for n < len(p) && l.left > 0 {
		c := copy(p[n:min(len(p), n+int(min(int64(len(line)), l.left)))], line)
		n += c
		l.left -= int64(c)
	}
	return n, nil
}

func TestParseLargeMessageIsTruncatedNotBuffered(t *testing.T) {
	const bodySize = 50 << 20
	blobs := &countingBlobs{sizes: map[string]int64{}}
	p, err := NewParser(ParseOptions{Tenant: "t", Blobs: blobs})
	require.NoError(t, err)
	header := "From: big@example.com\r\nSubject: big\r\nMessage-ID: <big@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got, err := p.Parse(context.Background(), io.MultiReader(strings.NewReader(header), &lineReader{left: bodySize}))
	require.NoError(t, err)
	runtime.ReadMemStats(&after)

	require.Equal(t, int64(len(header)+bodySize), got.Size)
	require.Equal(t, got.Size, blobs.sizes[got.Inbound.RawKey], "the raw message is kept whole")
	require.True(t, got.Truncated)
	require.LessOrEqual(t, len(got.Inbound.Text), DefaultMaxTextBytes+200)
	require.Contains(t, got.Inbound.Text, "[message text truncated:")
	// Streaming: the 50 MB never sit in the heap at once.
	require.Less(t, after.HeapInuse, before.HeapInuse+24<<20, "heap grew by %d bytes", after.HeapInuse-before.HeapInuse)
}

func TestParseUnreadableHeaderIsQuarantinable(t *testing.T) {
	blobs := newMemBlobs()
	p, err := NewParser(ParseOptions{Tenant: "t", Blobs: blobs})
	require.NoError(t, err)
	for raw, reason := range map[string]string{
		// No header at all: read as a body, but there is no sender.
		"\x00\x01garbage without any header\r\n" + strings.Repeat("x", 100):             "no sender address",
		"From: a@example.com\r\nX-Huge: " + strings.Repeat("x", 2<<20) + "\r\n\r\nbody": "unreadable header",
	} {
		got, err := p.Parse(context.Background(), strings.NewReader(raw))
		require.NoError(t, err)
		require.Contains(t, got.Inbound.ParseError, reason)
		require.NotEmpty(t, got.Inbound.RawKey, "the raw bytes are kept for replay")
		rc, err := blobs.Get(context.Background(), got.Inbound.RawKey)
		require.NoError(t, err)
		b, _ := io.ReadAll(rc)
		require.Equal(t, raw, string(b))
	}
}

// failingBlobs refuses every write.
type failingBlobs struct{ countingBlobs }

func (f *failingBlobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	return 0, errors.New("disk full")
}

func TestParseBlobStoreFailureIsAnError(t *testing.T) {
	p, err := NewParser(ParseOptions{Tenant: "t", Blobs: &failingBlobs{}})
	require.NoError(t, err)
	_, err = p.Parse(context.Background(), strings.NewReader("From: a@example.com\r\n\r\nhello\r\n"))
	require.ErrorContains(t, err, "disk full")
}

func TestParseAttachmentOverLimitIsRejected(t *testing.T) {
	blobs := newMemBlobs()
	p, err := NewParser(ParseOptions{Tenant: "t", Blobs: blobs, DiscardRaw: true, MaxAttachmentBytes: 10})
	require.NoError(t, err)
	raw := "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=big.bin\r\n\r\n0123456789abcdef\r\n--b--\r\n"
	got, err := p.Parse(context.Background(), strings.NewReader(raw))
	require.NoError(t, err)
	require.Len(t, got.Inbound.Attachments, 1)
	a := got.Inbound.Attachments[0]
	require.Greater(t, a.Size, int64(10), "counted past the limit")
	require.Contains(t, a.Rejected, "limit")
	require.Empty(t, a.BlobKey)
	require.Zero(t, blobs.len(), "nothing half-written stays in the store")
}

func TestParseOwnAddressAndDetection(t *testing.T) {
	p, err := NewParser(ParseOptions{OwnAddresses: []string{"Support@Shop.example"}})
	require.NoError(t, err)
	tests := []struct {
		name, header    string
		own, automated  bool
		newsletter      bool
		reasonSubstring string
	}{
		{"own reply", "From: Shop <support@shop.example>\r\nTo: c@x.example\r\n", true, false, false, ""},
		{"customer", "From: c@x.example\r\n", false, false, false, ""},
		{"auto-submitted", "From: c@x.example\r\nAuto-Submitted: auto-generated\r\n", false, true, false, "auto-submitted"},
		{"auto-submitted no", "From: c@x.example\r\nAuto-Submitted: no\r\n", false, false, false, ""},
		{"precedence junk", "From: c@x.example\r\nPrecedence: junk\r\n", false, true, false, "precedence"},
		{"null return path", "Return-Path: <>\r\nFrom: c@x.example\r\n", false, true, false, "null return path"},
		{"noreply", "From: noreply@x.example\r\n", false, true, false, "no-reply"},
		{"unsubscribe only", "From: c@x.example\r\nList-Unsubscribe: <https://x.example/u>\r\n", false, true, true, "list-unsubscribe"},
		{"ooo subject", "From: c@x.example\r\nSubject: Out of Office: back Monday\r\n", false, true, false, "out-of-office"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Parse(context.Background(), strings.NewReader(tt.header+"\r\nbody\r\n"))
			require.NoError(t, err)
			require.Equal(t, tt.own, got.Inbound.Own)
			require.Equal(t, tt.automated, got.Inbound.Automated)
			require.Equal(t, tt.newsletter, got.Inbound.Newsletter)
			require.Contains(t, got.Inbound.AutomatedReason, tt.reasonSubstring)
		})
	}
}

func TestSplitQuoted(t *testing.T) {
	tests := []struct{ text, reply, quoted string }{
		{"Merci !\n\nOn Mon, 4 Mar 2024, Shop wrote:\n> hello\n", "Merci !", "On Mon, 4 Mar 2024, Shop wrote:\n> hello\n"},
		{"Ok\n\n> a\n> b\n", "Ok", "> a\n> b\n"},
		{"Just text\n> one quote\nmore text\nand more", "Just text\n> one quote\nmore text\nand more", ""},
		{"Hi\n\n-----Original Message-----\nFrom: x\n", "Hi", "-----Original Message-----\nFrom: x\n"},
	}
	for _, tt := range tests {
		reply, quoted := SplitQuoted(tt.text)
		require.Equal(t, tt.reply, reply)
		require.Equal(t, tt.quoted, quoted)
	}
}
