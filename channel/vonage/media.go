package vonage

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gabriel-vasile/mimetype"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/attach"
	"github.com/inboxkit/inboxkit/internal/httpintake"
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
	// the declared type. Nil: DefaultMediaTypes. Every file also passes
	// the checks of agent uploads (inbox/attach): executables, scripts
	// and macro documents are refused even when listed, the content must
	// agree with the declared type and the name's extension, and names
	// are sanitized with attach.SanitizeFilename.
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
	case !httpintake.HostAllowed(u, f.opts.AllowedHosts):
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

	// The same checks as an agent's upload (inbox/attach): sanitized
	// name, sniffed content that must agree with the declared type and
	// the extension, executables, scripts and macro documents refused
	// whatever the allow-list says; only accepted bytes are stored.
	res, err := attach.Validate(ctx, rawName(m, kind), resp.Header.Get("Content-Type"), resp.Body, attach.Options{
		MaxSize: f.opts.MaxBytes, Allow: f.opts.AllowedTypes, Store: blobs, Tenant: t.Tenant,
	})
	if err != nil && !errors.Is(err, attach.ErrRejected) {
		return att, fmt.Errorf("download media from %s: %w: %w", u.Hostname(), inbox.ErrTemporary, err)
	}
	id := att.ID
	att = res.Attachment
	att.ID = id
	if att.Rejected == "" && path.Ext(att.Filename) == "" {
		if mt := mimetype.Lookup(res.Sniffed); mt != nil {
			att.Filename += mt.Extension()
		}
	}
	return att, nil
}

// rawName is the name the sender gave the file, or the message kind
// ("image", "audio"...) when it has none.
func rawName(m *Media, kind string) string {
	if strings.TrimSpace(m.Name) == "" {
		return kind
	}
	return m.Name
}

// mediaFilename is a safe display name (attach.SanitizeFilename) for the
// attachment before its content is known.
func mediaFilename(m *Media, kind string) string {
	return attach.SanitizeFilename(rawName(m, kind))
}
