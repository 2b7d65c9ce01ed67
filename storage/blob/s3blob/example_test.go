package s3blob_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/blob/s3blob"
)

func Example() {
	// An in-process S3 server stands in for the real one here.
	backend := s3mem.New()
	_ = backend.CreateBucket("inbox-blobs")
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	endpoint := strings.TrimPrefix(srv.URL, "http://")

	// In production: s3blob.ParseURL("s3://inbox-blobs/prod?endpoint=...&region=...")
	// with the credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
	ctx := context.Background()
	blobs, err := s3blob.New(ctx, s3blob.Options{Endpoint: endpoint, Bucket: "inbox-blobs", Prefix: "prod",
		AccessKey: "access", SecretKey: "secret", Insecure: true})
	if err != nil {
		panic(err)
	}
	key := "maison-lumiere/attachment/devis"
	if _, err := blobs.Put(ctx, key, strings.NewReader("Devis n° 2026-114")); err != nil {
		panic(err)
	}
	rc, _ := blobs.Get(ctx, key)
	body, _ := io.ReadAll(rc)
	rc.Close()
	fmt.Println(string(body))
	_, err = blobs.Get(ctx, "maison-lumiere/attachment/absent")
	fmt.Println(errors.Is(err, inbox.ErrNotFound))
	_, err = blobs.Put(ctx, "../outside", strings.NewReader("x"))
	fmt.Println(err)
	// Output:
	// Devis n° 2026-114
	// true
	// s3blob put: invalid blob key: contains a "." or ".." segment
}
