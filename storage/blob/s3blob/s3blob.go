package s3blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/blob"
)

// Options configure New.
type Options struct {
	// Endpoint is the S3 server, "host" or "host:port" (no scheme).
	// Required.
	Endpoint string
	// Bucket must exist. Required.
	Bucket string
	// Region is the bucket's region. "" lets the client find out.
	Region string
	// Prefix is put before every key, so several deployments can share
	// a bucket ("inbox/"). "" means none.
	Prefix string
	// AccessKey and SecretKey are the credentials. Both empty: anonymous
	// requests.
	AccessKey, SecretKey string
	// Insecure talks plain HTTP, for a server on a private network or a
	// local test server. false: HTTPS.
	Insecure bool
	// PartSize is the size of the parts a large blob is uploaded in, and
	// the memory one upload holds. 0 means 8 MiB (S3's minimum is 5 MiB).
	PartSize uint64
}

// DefaultPartSize is the part size of uploads when Options.PartSize is 0.
const DefaultPartSize = 8 << 20

// Store is an inbox.BlobStore on an S3-compatible bucket.
type Store struct {
	client   *minio.Client
	bucket   string
	prefix   string
	partSize uint64
	name     string
}

var (
	_ inbox.BlobStore  = (*Store)(nil)
	_ inbox.BlobLister = (*Store)(nil)
)

// New connects to the bucket and checks that it exists. Errors name the
// endpoint and the bucket, never the credentials.
func New(ctx context.Context, opts Options) (*Store, error) {
	switch {
	case opts.Endpoint == "" || strings.Contains(opts.Endpoint, "/"):
		return nil, fmt.Errorf("s3blob: %w", inbox.Invalid("Endpoint", `must be "host" or "host:port", without a scheme`))
	case opts.Bucket == "":
		return nil, fmt.Errorf("s3blob: %w", inbox.Invalid("Bucket", "is required"))
	case (opts.AccessKey == "") != (opts.SecretKey == ""):
		return nil, fmt.Errorf("s3blob: %w", inbox.Invalid("credentials", "need both the access key and the secret key"))
	case opts.PartSize != 0 && opts.PartSize < 5<<20:
		return nil, fmt.Errorf("s3blob: %w", inbox.Invalid("PartSize", "must be at least 5 MiB"))
	}
	if opts.Prefix != "" {
		if err := blob.ValidateKey(strings.TrimSuffix(opts.Prefix, "/")); err != nil {
			return nil, fmt.Errorf("s3blob: %w", inbox.Invalid("Prefix", "must be a relative path without dot segments"))
		}
		if !strings.HasSuffix(opts.Prefix, "/") {
			opts.Prefix += "/"
		}
	}
	if opts.PartSize == 0 {
		opts.PartSize = DefaultPartSize
	}
	var creds *credentials.Credentials
	if opts.AccessKey != "" {
		creds = credentials.NewStaticV4(opts.AccessKey, opts.SecretKey, "")
	} else {
		creds = credentials.New(&credentials.Static{})
	}
	client, err := minio.New(opts.Endpoint, &minio.Options{Creds: creds, Secure: !opts.Insecure, Region: opts.Region})
	if err != nil {
		return nil, fmt.Errorf("s3blob %s: %w", opts.Endpoint, inbox.Invalid("Endpoint", "cannot be used"))
	}
	s := &Store{client: client, bucket: opts.Bucket, prefix: opts.Prefix, partSize: opts.PartSize,
		name: opts.Endpoint + "/" + opts.Bucket}
	ok, err := client.BucketExists(ctx, opts.Bucket)
	if err != nil {
		return nil, s.wrap("check bucket", err)
	}
	if !ok {
		return nil, fmt.Errorf("s3blob %s: the bucket does not exist: %w", s.name, inbox.ErrNotFound)
	}
	return s, nil
}

// Put streams r into the object of key. S3 replaces an object whole, so
// a reader sees the old bytes or the new ones; a failed or cancelled
// upload stores nothing (its parts are aborted).
func (s *Store) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := blob.ValidateKey(key); err != nil {
		return 0, fmt.Errorf("s3blob put: %w", err)
	}
	counted := &countingReader{r: r}
	// A blob that fits in one part is read first and sent with its
	// length in one request (most attachments); a larger one streams in
	// parts of unknown total size.
	var head bytes.Buffer
	n, err := io.CopyN(&head, counted, int64(s.partSize))
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("s3blob put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("s3blob put: %w", err)
	}
	body, size := io.Reader(&head), n
	if n == int64(s.partSize) {
		body, size = io.MultiReader(&head, counted), -1
	}
	// No streaming payload signature: it applies to plain HTTP only,
	// where the chunk framing with trailing checksums is not understood
	// by every S3-compatible server; over HTTPS TLS protects the body.
	info, err := s.client.PutObject(ctx, s.bucket, s.prefix+key, body, size,
		minio.PutObjectOptions{ContentType: "application/octet-stream", PartSize: s.partSize, NumThreads: 1,
			DisableContentSha256: true})
	if err != nil {
		// The reader's own error comes first: the caller's source
		// failed, not the bucket.
		if counted.err != nil && !errors.Is(counted.err, io.EOF) {
			return 0, fmt.Errorf("s3blob put: %w", counted.err)
		}
		if ctx.Err() != nil {
			return 0, fmt.Errorf("s3blob put: %w", ctx.Err())
		}
		return 0, s.wrap("put", err)
	}
	return info.Size, nil
}

// Get opens the object of key; inbox.ErrNotFound when there is none.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("s3blob get: %w", err)
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.wrap("get", err)
	}
	// The request is made by the first read or Stat: Stat reports a
	// missing object here rather than in the caller's first Read.
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, s.wrap("get", err)
	}
	return obj, nil
}

// Delete removes the object of key; a missing one is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("s3blob delete: %w", err)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{}); err != nil {
		if errors.Is(s.wrap("delete", err), inbox.ErrNotFound) {
			return nil
		}
		return s.wrap("delete", err)
	}
	return nil
}

// ListBlobs calls fn with every key under prefix (inbox.BlobLister).
// Uploads in progress are not objects yet and are not listed.
func (s *Store) ListBlobs(ctx context.Context, prefix string, fn func(key string) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
		if obj.Err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return s.wrap("list", obj.Err)
		}
		key := strings.TrimPrefix(obj.Key, s.prefix)
		if blob.ValidateKey(key) != nil {
			continue // not one of ours
		}
		if err := fn(key); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// wrap maps S3 errors to inbox sentinels. The message keeps S3's error
// code, never the server's text (which may echo request details).
func (s *Store) wrap(op string, err error) error {
	resp := minio.ToErrorResponse(err)
	switch resp.Code {
	case "":
	case "NoSuchKey":
		return fmt.Errorf("s3blob %s: %s: %w", s.name, op, inbox.ErrNotFound)
	case "NoSuchBucket":
		return fmt.Errorf("s3blob %s: %s: the bucket does not exist: %w", s.name, op, inbox.ErrNotFound)
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch":
		return fmt.Errorf("s3blob %s: %s: %s: %w", s.name, op, resp.Code, inbox.ErrUnauthorized)
	default:
		return fmt.Errorf("s3blob %s: %s: %s: %w", s.name, op, resp.Code, inbox.ErrTemporary)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("s3blob %s: %s: %w", s.name, op, err)
	}
	return fmt.Errorf("s3blob %s: %s: the server could not be reached: %w", s.name, op, inbox.ErrTemporary)
}

// countingReader remembers its source's error, so Put reports that
// rather than the upload's.
type countingReader struct {
	r   io.Reader
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil {
		c.err = err
	}
	return n, err
}

// ParseURL reads a bucket URL, "s3://bucket?endpoint=host:port&region=r",
// into Options; the credentials come from AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, never from the URL, which shows in process
// listings and logs. Query parameters: endpoint (required), region,
// prefix, insecure (true: plain HTTP), part_size (bytes).
func ParseURL(raw string) (Options, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return Options{}, inbox.Invalid("blobs", `must look like "s3://bucket?endpoint=host:port&region=name"`)
	}
	if u.User != nil {
		return Options{}, inbox.Invalid("blobs", "must not hold credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	q := u.Query()
	opts := Options{Bucket: u.Host, Endpoint: q.Get("endpoint"), Region: q.Get("region"), Prefix: strings.TrimPrefix(u.Path, "/"),
		AccessKey: os.Getenv("AWS_ACCESS_KEY_ID"), SecretKey: os.Getenv("AWS_SECRET_ACCESS_KEY")}
	if p := q.Get("prefix"); p != "" {
		opts.Prefix = p
	}
	if opts.Endpoint == "" {
		return Options{}, inbox.Invalid("blobs", "needs ?endpoint=host:port (the S3 server)")
	}
	if v := q.Get("insecure"); v != "" {
		if opts.Insecure, err = strconv.ParseBool(v); err != nil {
			return Options{}, inbox.Invalid("blobs", "insecure must be true or false")
		}
	}
	if v := q.Get("part_size"); v != "" {
		if opts.PartSize, err = strconv.ParseUint(v, 10, 64); err != nil {
			return Options{}, inbox.Invalid("blobs", "part_size must be a number of bytes")
		}
	}
	for k := range q {
		switch k {
		case "endpoint", "region", "prefix", "insecure", "part_size":
		default:
			return Options{}, inbox.Invalid("blobs", fmt.Sprintf("unknown parameter %q (endpoint, region, prefix, insecure, part_size)", k))
		}
	}
	return opts, nil
}
