package httpintake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/storage/blob"
)

func TestHostAllowed(t *testing.T) {
	allowed := []string{".nexmo.com", "files.example:8443", "CDN.example"}
	for _, tc := range []struct {
		url  string
		want bool
	}{
		{"https://api.nexmo.com/media/1", true},
		{"https://API.NEXMO.COM/media/1", true},
		{"https://nexmo.com/media/1", false},
		{"https://evilnexmo.com/x", false},
		{"https://127.0.0.1.nexmo.com.evil/x", false},
		{"https://files.example:8443/a", true},
		{"https://files.example/a", false},
		{"https://cdn.example/a", true},
		{"https://cdn.example:9000/a", true},
		{"https://attacker.example/a", false},
	} {
		u, err := url.Parse(tc.url)
		require.NoError(t, err)
		require.Equal(t, tc.want, HostAllowed(u, allowed), tc.url)
	}
	u, _ := url.Parse("https://api.nexmo.com/x")
	require.False(t, HostAllowed(u, nil), "an empty list allows nothing")
}

func TestSafeFilename(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\me\photo.jpg`, "photo.jpg"},
		{"in\x00v\x7f.pdf", "inv.pdf"},
		{"  ..hidden ", "hidden"},
		{"...", "fallback"},
		{"", "fallback"},
		{strings.Repeat("a", 20), strings.Repeat("a", 10)},
	} {
		require.Equal(t, tc.want, SafeFilename(tc.in, 10, "fallback"), tc.in)
	}
}

func TestSniff(t *testing.T) {
	head, mt, err := Sniff(strings.NewReader("%PDF-1.7\n" + strings.Repeat("x", 5000)))
	require.NoError(t, err)
	require.Len(t, head, sniffLen)
	require.Equal(t, "application/pdf", mt.String())
	require.True(t, TypeAllowed(mt, []string{"image/png", "application/pdf"}))
	require.False(t, TypeAllowed(mt, []string{"image/png"}))
	require.True(t, SameFamily("application/x-pdf", mt))
	require.False(t, SameFamily("image/png", mt))

	head, mt, err = Sniff(strings.NewReader(""))
	require.NoError(t, err)
	require.Empty(t, head)
	require.Nil(t, mt)

	_, _, err = Sniff(io.MultiReader(strings.NewReader("ab"), failingReader{}))
	require.ErrorContains(t, err, "connection reset")
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestPutFile(t *testing.T) {
	ctx := context.Background()
	blobs := blob.NewMemory()
	content := bytes.Repeat([]byte("0123456789"), 100)

	stored, err := PutFile(ctx, blobs, "t1", content[:10], bytes.NewReader(content[10:]), int64(len(content)))
	require.NoError(t, err)
	require.Equal(t, int64(len(content)), stored.Size)
	want := sha256.Sum256(content)
	require.Equal(t, hex.EncodeToString(want[:]), stored.SHA256)
	rc, err := blobs.Get(ctx, stored.BlobKey)
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.Equal(t, content, got)

	rec := &deleteRecorder{Memory: blobs}
	_, err = PutFile(ctx, rec, "t1", nil, bytes.NewReader(content), int64(len(content)-1))
	require.ErrorIs(t, err, ErrTooLarge)
	require.Len(t, rec.deleted, 1, "the partial blob is deleted")
	_, err = blobs.Get(ctx, rec.deleted[0])
	require.Error(t, err)
}

// deleteRecorder records the keys deleted from a blob store.
type deleteRecorder struct {
	*blob.Memory
	deleted []string
}

func (d *deleteRecorder) Delete(ctx context.Context, key string) error {
	d.deleted = append(d.deleted, key)
	return d.Memory.Delete(ctx, key)
}
