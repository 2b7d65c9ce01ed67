package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
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
	// Nil: DefaultAttachmentTypes.
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
	att := inbox.Attachment{ID: inbox.NewID(), Filename: safeFilename(a.Filename), ContentType: a.ContentType}
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

	head, detected, err := httpintake.Sniff(body)
	if err != nil {
		return att, fmt.Errorf("read attachment: %w: %w", inbox.ErrTemporary, err)
	}
	if detected == nil {
		att.Rejected = "attachment is empty"
		return att, nil
	}
	if !httpintake.TypeAllowed(detected, k.opts.AllowedTypes) {
		att.Rejected = "type " + detected.String() + " is not allowed"
		return att, nil
	}
	declared, _, _ := mime.ParseMediaType(a.ContentType)
	if declared != "" && declared != "application/octet-stream" && !httpintake.SameFamily(declared, detected) {
		att.Rejected = "content is " + detected.String() + " but was declared " + declared
		return att, nil
	}
	att.ContentType, _, _ = mime.ParseMediaType(detected.String())
	if path.Ext(att.Filename) == "" {
		att.Filename += detected.Extension()
	}
	stored, err := httpintake.PutFile(ctx, blobs, tenant, head, body, k.opts.MaxBytes)
	if errors.Is(err, httpintake.ErrTooLarge) {
		att.Rejected = fmt.Sprintf("attachment exceeds the limit of %d bytes", k.opts.MaxBytes)
		return att, nil
	}
	if err != nil {
		return att, fmt.Errorf("store attachment: %w: %w", inbox.ErrTemporary, err)
	}
	att.Size, att.BlobKey, att.SHA256 = stored.Size, stored.BlobKey, stored.SHA256
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

// safeFilename is a display name without path or control characters.
func safeFilename(name string) string {
	return httpintake.SafeFilename(name, maxFilename, "attachment")
}
