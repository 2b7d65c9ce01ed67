package s3blob_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/blob/blobtest"
	"github.com/inboxkit/inboxkit/storage/blob/s3blob"
)

// fakeS3 runs an in-process S3 server with one bucket.
func fakeS3(t *testing.T, bucket string) string {
	t.Helper()
	backend := s3mem.New()
	require.NoError(t, backend.CreateBucket(bucket))
	ts := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(ts.Close)
	return strings.TrimPrefix(ts.URL, "http://")
}

func TestConformance(t *testing.T) {
	endpoint := fakeS3(t, "inbox")
	var n atomic.Int64
	blobtest.Run(t, func(t *testing.T) inbox.BlobStore {
		// A prefix per subtest: an empty store on a shared bucket.
		s, err := s3blob.New(context.Background(), s3blob.Options{Endpoint: endpoint, Bucket: "inbox", Region: "us-east-1",
			Prefix: "run" + strings.Repeat("x", int(n.Add(1))), AccessKey: "test-access", SecretKey: "test-secret", Insecure: true})
		require.NoError(t, err)
		return s
	})
}

func TestOptionsAreChecked(t *testing.T) {
	endpoint := fakeS3(t, "inbox")
	ctx := context.Background()
	_, err := s3blob.New(ctx, s3blob.Options{Endpoint: endpoint, Bucket: "missing", Insecure: true, AccessKey: "a", SecretKey: "super-secret"})
	require.ErrorIs(t, err, inbox.ErrNotFound)
	require.NotContains(t, err.Error(), "super-secret")
	for _, o := range []s3blob.Options{
		{Endpoint: "http://" + endpoint, Bucket: "inbox"},
		{Endpoint: endpoint},
		{Endpoint: endpoint, Bucket: "inbox", AccessKey: "only-half"},
		{Endpoint: endpoint, Bucket: "inbox", Prefix: "../up"},
		{Endpoint: endpoint, Bucket: "inbox", PartSize: 1024},
	} {
		_, err := s3blob.New(ctx, o)
		require.ErrorIs(t, err, inbox.ErrInvalid, "%+v", o)
	}
}

func TestParseURL(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI")
	o, err := s3blob.ParseURL("s3://inbox-blobs/prod?endpoint=s3.eu-west-3.amazonaws.com&region=eu-west-3")
	require.NoError(t, err)
	require.Equal(t, s3blob.Options{Endpoint: "s3.eu-west-3.amazonaws.com", Bucket: "inbox-blobs", Region: "eu-west-3", Prefix: "prod",
		AccessKey: "AKIDEXAMPLE", SecretKey: "wJalrXUtnFEMI"}, o)
	o, err = s3blob.ParseURL("s3://b?endpoint=127.0.0.1:9000&insecure=true")
	require.NoError(t, err)
	require.True(t, o.Insecure)
	for raw, want := range map[string]string{
		"s3://b":                           "endpoint",
		"s3://key:secret@b?endpoint=h":     "AWS_ACCESS_KEY_ID",
		"s3://b?endpoint=h&insecure=maybe": "insecure",
		"s3://b?endpoint=h&color=blue":     "unknown parameter",
		"file:///tmp/blobs":                "s3://bucket",
	} {
		_, err := s3blob.ParseURL(raw)
		require.ErrorIs(t, err, inbox.ErrInvalid, raw)
		require.ErrorContains(t, err, want, raw)
		require.NotContains(t, err.Error(), "secret@", raw)
	}
}
