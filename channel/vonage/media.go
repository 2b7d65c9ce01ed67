package vonage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gabriel-vasile/mimetype"

	"github.com/inboxkit/inboxkit/inbox"
)

// DefaultMaxMediaBytes bounds one downloaded media file (WhatsApp's own
// limit for documents is 100 MB; inbox attachments stay smaller).
const DefaultMaxMediaBytes = 16 << 20

// DefaultMediaTypes are the media types kept by default: what WhatsApp
// customers send (images, voice notes, videos, documents).
var DefaultMediaTypes = []string{
	"image/jpeg", "image/png", "image/webp", "image/gif",
	"audio/ogg", "audio/mpeg", "audio/aac", "audio/mp4", "audio/amr", "audio/x-m4a",
	"video/mp4", "video/3gpp",
	"application/pdf", "text/plain", "text/csv",
	"application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"application/zip",
}

// DefaultMediaHosts are the hosts inbound media is downloaded from: Vonage's
// API hosts. A leading dot matches any subdomain.
var DefaultMediaHosts = []string{".nexmo.com", ".vonage.com"}

// MediaOptions configure the download of inbound media into the BlobStore.
type MediaOptions struct {
	// Client downloads media. Nil: a client with a 30-second timeout.
	Client *http.Client
	// MaxBytes bounds one file. 0: DefaultMaxMediaBytes.
	MaxBytes int64
	// AllowedTypes are the media types kept, judged from the content, not
	// the declared type. Nil: DefaultMediaTypes.
	AllowedTypes []string
	// AllowedHosts are the hosts media is fetched from; "host" matches
	// exactly (with port, if given), ".domain" any subdomain. Other URLs are
	// never fetched, so a webhook cannot make the server request arbitrary
	// addresses. Nil: DefaultMediaHosts.
	AllowedHosts []string
	// AllowHTTP permits plain-HTTP media URLs (local test servers). False:
	// HTTPS only.
	AllowHTTP bool
	// Token returns the bearer token for Vonage's secure inbound media (an
	// application JWT, see AppJWT). Nil: requests carry no Authorization.
	Token func(ctx context.Context, t Target) (string, error)
}

// mediaFetcher downloads media into a BlobStore with validation.
type mediaFetcher struct {
	opts MediaOptions
}

func newMediaFetcher(opts MediaOptions) *mediaFetcher {
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxMediaBytes
	}
	if opts.AllowedTypes == nil {
		opts.AllowedTypes = DefaultMediaTypes
	}
	if opts.AllowedHosts == nil {
		opts.AllowedHosts = DefaultMediaHosts
	}
	return &mediaFetcher{opts: opts}
}

func (f *mediaFetcher) hostAllowed(u *url.URL) bool {
	host := strings.ToLower(u.Host)
	hostname := strings.ToLower(u.Hostname())
	for _, h := range f.opts.AllowedHosts {
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

// errTooLarge stops a blob write at the size limit.
var errTooLarge = errors.New("media exceeds the size limit")

type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, errTooLarge
	}
	return n, err
}

// fetch downloads m into blobs and returns the attachment. Media that is
// refused (host not allowed, too large, type not allowed, gone) comes back
// as an attachment with Rejected set and no blob; only failures worth a
// retry (network, 5xx, 429, blob store) are errors, wrapping
// inbox.ErrTemporary where the provider should retry.
func (f *mediaFetcher) fetch(ctx context.Context, blobs inbox.BlobStore, t Target, m *Media, kind string) (inbox.Attachment, error) {
	att := inbox.Attachment{ID: inbox.NewID(), Filename: mediaFilename(m, kind)}
	u, err := url.Parse(m.URL)
	switch {
	case err != nil || u.Host == "":
		att.Rejected = "media url is not a valid URL"
		return att, nil
	case u.Scheme != "https" && !(f.opts.AllowHTTP && u.Scheme == "http"):
		att.Rejected = "media url is not https"
		return att, nil
	case !f.hostAllowed(u):
		att.Rejected = "media host " + u.Hostname() + " is not allowed"
		return att, nil
	case blobs == nil:
		att.Rejected = "no blob store is configured"
		return att, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		att.Rejected = "media url is not a valid URL"
		return att, nil
	}
	if f.opts.Token != nil {
		tok, err := f.opts.Token(ctx, t)
		if err != nil {
			return att, fmt.Errorf("media token: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := f.opts.Client.Do(req)
	if err != nil {
		return att, fmt.Errorf("download media from %s: %w: %w", u.Hostname(), inbox.ErrTemporary, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return att, fmt.Errorf("download media from %s: HTTP %d: %w", u.Hostname(), resp.StatusCode, inbox.ErrTemporary)
	case resp.StatusCode != http.StatusOK:
		att.Rejected = fmt.Sprintf("media server answered HTTP %d", resp.StatusCode)
		return att, nil
	case resp.ContentLength > f.opts.MaxBytes:
		att.Rejected = fmt.Sprintf("media has %d bytes, the limit is %d", resp.ContentLength, f.opts.MaxBytes)
		return att, nil
	}

	head := make([]byte, 3072)
	n, err := io.ReadFull(resp.Body, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return att, fmt.Errorf("download media from %s: %w: %w", u.Hostname(), inbox.ErrTemporary, err)
	}
	head = head[:n]
	if n == 0 {
		att.Rejected = "media is empty"
		return att, nil
	}
	detected := mimetype.Detect(head)
	if !typeAllowed(detected, f.opts.AllowedTypes) {
		att.Rejected = "media type " + detected.String() + " is not allowed"
		return att, nil
	}
	declared, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if declared != "" && declared != "application/octet-stream" && !sameFamily(declared, detected) {
		att.Rejected = "content is " + detected.String() + " but was declared " + declared
		return att, nil
	}
	att.ContentType, _, _ = mime.ParseMediaType(detected.String())
	if path.Ext(att.Filename) == "" {
		att.Filename += detected.Extension()
	}

	sum := sha256.New()
	body := io.TeeReader(&limitReader{r: io.MultiReader(bytes.NewReader(head), resp.Body), left: f.opts.MaxBytes}, sum)
	key := inbox.NewBlobKey(t.Tenant, "attachment")
	size, err := blobs.Put(ctx, key, body)
	if errors.Is(err, errTooLarge) {
		_ = blobs.Delete(context.WithoutCancel(ctx), key)
		att.Rejected = fmt.Sprintf("media exceeds the limit of %d bytes", f.opts.MaxBytes)
		return att, nil
	}
	if err != nil {
		_ = blobs.Delete(context.WithoutCancel(ctx), key)
		return att, fmt.Errorf("store media: %w: %w", inbox.ErrTemporary, err)
	}
	att.Size, att.BlobKey, att.SHA256 = size, key, hex.EncodeToString(sum.Sum(nil))
	return att, nil
}

func typeAllowed(detected *mimetype.MIME, allowed []string) bool {
	for _, a := range allowed {
		if detected.Is(a) {
			return true
		}
	}
	return false
}

// sameFamily accepts a declared type that names the detected one or a
// type of the same family (image/jpg for image/jpeg, application/x-pdf...).
func sameFamily(declared string, detected *mimetype.MIME) bool {
	if detected.Is(declared) {
		return true
	}
	dTop, _, _ := strings.Cut(declared, "/")
	gTop, _, _ := strings.Cut(detected.String(), "/")
	return dTop == gTop
}

// mediaFilename is a safe display name: the sender's base name without
// path or control characters, or the message kind.
func mediaFilename(m *Media, kind string) string {
	name := m.Name
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
	if len(name) > 200 {
		name = name[:200]
	}
	if name == "" {
		name = kind
	}
	return name
}
