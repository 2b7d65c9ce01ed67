package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"time"

	"github.com/gabriel-vasile/mimetype"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/attach"
	"github.com/inboxkit/inboxkit/internal/httpintake"
)

// DefaultMaxAttachmentBytes bounds one attachment.
const DefaultMaxAttachmentBytes = 10 << 20

// DefaultAttachmentTypes are the media types kept by default.
var DefaultAttachmentTypes = []string{
	"image/jpeg", "image/png", "image/webp", "image/gif",
	"application/pdf", "text/plain", "text/csv",
	"application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/zip", "audio/mpeg", "audio/ogg", "video/mp4",
}

// AttachmentOptions configure how message attachments are kept.
type AttachmentOptions struct {
	// MaxBytes bounds one attachment. 0: DefaultMaxAttachmentBytes.
	MaxBytes int64
	// AllowedTypes are the media types kept, judged from the content.
	// Nil: DefaultAttachmentTypes. Every file also passes the checks of
	// agent uploads (inbox/attach): executables, scripts and macro
	// documents are refused even when listed, the content must agree
	// with the declared type and the file name's extension, and names are
	// sanitized with attach.SanitizeFilename.
	AllowedTypes []string
	// AllowedHosts are the hosts attachment URLs are fetched from; "host"
	// matches exactly, ".domain" any subdomain. Nil: URLs are never
	// fetched (the attachment is recorded as not fetched), so a webhook
	// cannot make the server request arbitrary addresses.
	AllowedHosts []string
	// AllowHTTP permits plain-HTTP URLs (local test servers). False: HTTPS
	// only.
	AllowHTTP bool
	// Client fetches URLs. Nil: a client with a 30-second timeout.
	Client *http.Client
}

type attachmentKeeper struct {
	opts AttachmentOptions
}

func newAttachmentKeeper(opts AttachmentOptions) *attachmentKeeper {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxAttachmentBytes
	}
	if opts.AllowedTypes == nil {
		opts.AllowedTypes = DefaultAttachmentTypes
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 30 * time.Second}
	}
	return &attachmentKeeper{opts: opts}
}

// keep stores one attachment in blobs. A refused file (type, size, host)
// comes back with Rejected set and no blob; an error means a retry may
// succeed (the blob store or the file host failed) and wraps
// inbox.ErrTemporary.
func (k *attachmentKeeper) keep(ctx context.Context, blobs inbox.BlobStore, tenant inbox.TenantID, a MessageAttachment) (inbox.Attachment, error) {
	att := inbox.Attachment{ID: inbox.NewID(), Filename: attach.SanitizeFilename(a.Filename), ContentType: a.ContentType}
	if blobs == nil {
		att.Rejected = "no blob store is configured"
		return att, nil
	}
	var body io.Reader
	if a.data != nil {
		if int64(len(a.data)) > k.opts.MaxBytes {
			att.Rejected = fmt.Sprintf("attachment has %d bytes, the limit is %d", len(a.data), k.opts.MaxBytes)
			return att, nil
		}
		body = bytes.NewReader(a.data)
	} else {
		resp, rejected, err := k.fetch(ctx, a.URL)
		if err != nil || rejected != "" {
			att.Rejected = rejected
			return att, err
		}
		defer resp.Body.Close()
		body = resp.Body
	}

	return keepFile(ctx, blobs, tenant, att, a.Filename, a.ContentType, body, k.opts.MaxBytes, k.opts.AllowedTypes)
}

// keepFile runs a received file through the same checks as an agent's
// upload (inbox/attach): the name is sanitized (no path, no control or
// bidi or zero-width characters, no Windows device name), the content is
// sniffed and must agree with the declared type and the extension,
// executables, scripts and macro documents are refused whatever the
// allow-list says, and only accepted bytes reach the blob store. A name
// without extension gets the one of the sniffed type.
func keepFile(ctx context.Context, blobs inbox.BlobStore, tenant inbox.TenantID, att inbox.Attachment, name, declared string, body io.Reader, maxBytes int64, allowed []string) (inbox.Attachment, error) {
	res, err := attach.Validate(ctx, name, declared, body, attach.Options{
		MaxSize: maxBytes, Allow: allowed, Store: blobs, Tenant: tenant,
	})
	if err != nil && !errors.Is(err, attach.ErrRejected) {
		return att, fmt.Errorf("store attachment: %w: %w", inbox.ErrTemporary, err)
	}
	id := att.ID
	att = res.Attachment
	att.ID = id
	if att.Rejected == "" && path.Ext(att.Filename) == "" {
		if m := mimetype.Lookup(res.Sniffed); m != nil {
			att.Filename += m.Extension()
		}
	}
	return att, nil
}

// fetch downloads an attachment URL if its host is allowed.
func (k *attachmentKeeper) fetch(ctx context.Context, raw string) (*http.Response, string, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		return nil, "url is not a valid URL", nil
	case u.Scheme != "https" && !(k.opts.AllowHTTP && u.Scheme == "http"):
		return nil, "url is not https; not fetched", nil
	case !httpintake.HostAllowed(u, k.opts.AllowedHosts):
		return nil, "host " + u.Hostname() + " is not allowed; not fetched", nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "url is not a valid URL", nil
	}
	resp, err := k.opts.Client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("fetch attachment from %s: %w: %v", u.Hostname(), inbox.ErrTemporary, err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		resp.Body.Close()
		return nil, "", fmt.Errorf("fetch attachment from %s: HTTP %d: %w", u.Hostname(), resp.StatusCode, inbox.ErrTemporary)
	case resp.StatusCode != http.StatusOK:
		resp.Body.Close()
		return nil, fmt.Sprintf("file host answered HTTP %d", resp.StatusCode), nil
	case resp.ContentLength > k.opts.MaxBytes:
		resp.Body.Close()
		return nil, fmt.Sprintf("attachment has %d bytes, the limit is %d", resp.ContentLength, k.opts.MaxBytes), nil
	}
	return resp, "", nil
}
