package httpintake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/gabriel-vasile/mimetype"

	"github.com/inboxkit/inboxkit/inbox"
)

// HostAllowed reports whether u's host is on the allow-list: "host"
// matches exactly (with port, if given), ".domain" any subdomain, never an
// IP address. Comparison ignores case.
func HostAllowed(u *url.URL, allowed []string) bool {
	host := strings.ToLower(u.Host)
	hostname := strings.ToLower(u.Hostname())
	for _, h := range allowed {
		h = strings.ToLower(h)
		switch {
		case strings.HasPrefix(h, "."):
			if strings.HasSuffix(hostname, h) && net.ParseIP(hostname) == nil {
				return true
			}
		case h == host || h == hostname:
			return true
		}
	}
	return false
}

// SafeFilename is a display name from a sender-chosen one: its base name
// without path or control characters or leading dots, cut to max bytes;
// fallback when nothing is left.
func SafeFilename(name string, max int, fallback string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	if len(name) > max {
		name = name[:max]
	}
	if name == "" {
		name = fallback
	}
	return name
}

// sniffLen is how many leading bytes content detection reads.
const sniffLen = 3072

// Sniff reads the first bytes of body and detects their content type from
// the content alone. It returns the bytes read, to be put back in front of
// the rest of body; an empty body gives an empty head and a nil type. An
// error is a failed read.
func Sniff(body io.Reader) (head []byte, detected *mimetype.MIME, err error) {
	head = make([]byte, sniffLen)
	n, err := io.ReadFull(body, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	head = head[:n]
	if n == 0 {
		return head, nil, nil
	}
	return head, mimetype.Detect(head), nil
}

// TypeAllowed reports whether the detected type is one of allowed (or an
// alias or subtype of one).
func TypeAllowed(detected *mimetype.MIME, allowed []string) bool {
	for _, a := range allowed {
		if detected.Is(a) {
			return true
		}
	}
	return false
}

// SameFamily accepts a declared type that names the detected one or a
// type of the same family (image/jpg for image/jpeg, application/x-pdf...).
func SameFamily(declared string, detected *mimetype.MIME) bool {
	if detected.Is(declared) {
		return true
	}
	dTop, _, _ := strings.Cut(declared, "/")
	gTop, _, _ := strings.Cut(detected.String(), "/")
	return dTop == gTop
}

// ErrTooLarge reports a file that PutFile stopped at its size limit.
var ErrTooLarge = errors.New("file exceeds the size limit")

// Stored is where PutFile kept a file.
type Stored struct {
	BlobKey string
	Size    int64
	SHA256  string // hex
}

// PutFile streams head then body into blobs under a new attachment key of
// tenant, hashing it, and refuses more than max bytes with ErrTooLarge.
// On any error the partial blob is deleted (even if ctx is done) and the
// blob store's error is returned as is.
func PutFile(ctx context.Context, blobs inbox.BlobStore, tenant inbox.TenantID, head []byte, body io.Reader, max int64) (Stored, error) {
	sum := sha256.New()
	lr := &limitReader{r: io.MultiReader(bytes.NewReader(head), body), left: max}
	key := inbox.NewBlobKey(tenant, inbox.BlobKindAttachment)
	size, err := blobs.Put(ctx, key, io.TeeReader(lr, sum))
	if err != nil {
		_ = blobs.Delete(context.WithoutCancel(ctx), key)
		if errors.Is(err, ErrTooLarge) {
			return Stored{}, ErrTooLarge
		}
		return Stored{}, err
	}
	return Stored{BlobKey: key, Size: size, SHA256: hex.EncodeToString(sum.Sum(nil))}, nil
}

// limitReader fails with ErrTooLarge once more than left bytes were read.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, ErrTooLarge
	}
	return n, err
}
