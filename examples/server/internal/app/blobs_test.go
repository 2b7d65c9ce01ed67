package app_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/examples/server/internal/app"
	"github.com/inboxkit/inboxkit/inbox"
)

// TestBlobsInABucket: -blobs s3://... keeps attachments in an
// S3-compatible bucket, with the credentials from the environment; a
// wrong bucket URL stops the start with the reason.
func TestBlobsInABucket(t *testing.T) {
	backend := s3mem.New()
	require.NoError(t, backend.CreateBucket("inbox-blobs"))
	s3 := httptest.NewServer(gofakes3.New(backend).Server())
	defer s3.Close()
	endpoint := strings.TrimPrefix(s3.URL, "http://")
	t.Setenv("AWS_ACCESS_KEY_ID", "inbox-access")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "inbox-secret-key")

	a, _ := newServerWith(t, func(c *app.Config) { c.Blobs = "s3://inbox-blobs/prod?endpoint=" + endpoint + "&insecure=true" })
	ctx := context.Background()
	key := inbox.NewBlobKey("maison-lumiere", inbox.BlobKindAttachment)
	_, err := a.Engine.Blobs().Put(ctx, key, strings.NewReader("facture.pdf"))
	require.NoError(t, err)
	obj, err := backend.GetObject("inbox-blobs", "prod/"+key, nil)
	require.NoError(t, err, "the blob is an object of the bucket, under the prefix")
	raw, _ := io.ReadAll(obj.Contents)
	require.Equal(t, "facture.pdf", string(raw))

	for spec, want := range map[string]string{
		"s3://inbox-blobs": "endpoint",
		"s3://absent?endpoint=" + endpoint + "&insecure=1": "bucket does not exist",
	} {
		_, err := app.New(ctx, app.Config{DataDir: t.TempDir(), Blobs: spec})
		require.ErrorContains(t, err, want, spec)
		require.NotContains(t, err.Error(), "inbox-secret-key")
	}
}
