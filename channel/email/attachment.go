package email

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-message"
	"github.com/inboxkit/inboxkit/inbox/attach"

	"github.com/inboxkit/inboxkit/inbox"
)

// attachment checks one non-body part with the shared attachment policy
// (inbox/attach: sniffed type must agree with the declared one and the
// extension, no executables or scripts, size and type limits) and streams
// accepted bytes to the BlobStore.
func (w *walker) attachment(h message.Header, r io.Reader, typ, disp, rawName string) {
	cid := strings.TrimSpace(strings.Trim(strings.TrimSpace(h.Get("Content-Id")), "<>"))
	inline := disp == "inline" || (disp == "" && cid != "")
	if typ == "message/rfc822" || typ == "message/global" {
		att := inbox.Attachment{ID: inbox.NewID(), ContentType: typ, ContentID: cid, Inline: inline}
		if rawName != "" {
			att.Filename = attach.SanitizeFilename(rawName)
		}
		w.forwarded(r, att)
		return
	}
	if rawName == "" {
		rawName = defaultName(typ)
	}
	body := &readRecorder{r: r}
	opts := attach.Options{
		MaxSize: w.p.opts.MaxAttachmentBytes, Allow: w.p.opts.AllowedTypes,
		Tenant: w.p.opts.Tenant, Store: w.store,
	}
	if opts.Store == nil {
		opts.Tenant = ""
	}
	res, err := attach.Validate(w.ctx, rawName, typ, body, opts)
	att := res.Attachment
	switch {
	case body.err != nil:
		// Broken transfer encoding or a message cut short: what was
		// decoded is described, nothing half-written is kept.
		w.out.Truncated = true
		att = inbox.Attachment{
			Filename: attach.SanitizeFilename(rawName), Size: body.n,
			Rejected: "incomplete: the part could not be read to its end (" + body.err.Error() + ")",
		}
	case err != nil && !errors.Is(err, attach.ErrRejected):
		w.fail(err)
		return
	}
	// The type the sender declared is what the part is served as: a
	// generic one makes browsers download rather than render it.
	att.ID, att.ContentType, att.ContentID, att.Inline = inbox.NewID(), typ, cid, inline
	w.out.Inbound.Attachments = append(w.out.Inbound.Attachments, att)
}

// readRecorder remembers how much was read and the first read error,
// telling a broken part from a failing BlobStore.
type readRecorder struct {
	r   io.Reader
	n   int64
	err error
}

func (r *readRecorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// fail records a BlobStore failure; Parse then returns it as an error.
func (w *walker) fail(err error) {
	if w.storeErr == nil {
		w.storeErr = blobError{err: fmt.Errorf("store attachment: %w", err)}
	}
}

// forwarded keeps an attached message whole and reads its headers and
// text for display.
func (w *walker) forwarded(body io.Reader, att inbox.Attachment) {
	key := ""
	if w.store != nil {
		key = inbox.NewBlobKey(w.p.opts.Tenant, inbox.BlobKindAttachment)
	}
	inner := &Parsed{QuotedStart: -1}
	res, _ := streamBlob(w.ctx, w.store, key, body, w.p.opts.MaxAttachmentBytes, nil, func(r io.Reader) error {
		iw := &walker{p: w.p, ctx: w.ctx, out: inner}
		return iw.message(r)
	})
	att.Size, att.SHA256 = res.Size, res.SHA256
	if att.Filename == "" {
		name := inner.Inbound.Subject
		if name == "" {
			name = "message"
		}
		att.Filename = attach.SanitizeFilename(strings.NewReplacer("/", "-", `\`, "-").Replace(name) + ".eml")
	}
	switch {
	case res.ReadErr != nil:
		w.out.Truncated = true
		att.Rejected = "incomplete: the attached message could not be read to its end"
	case errors.Is(res.StoreErr, errTooLarge):
		att.Rejected = fmt.Sprintf("larger than the %d-byte attachment limit", w.p.opts.MaxAttachmentBytes)
	case key != "" && res.StoreErr != nil:
		w.fail(res.StoreErr)
	case res.Stored:
		att.BlobKey = key
	}
	w.out.Inbound.Attachments = append(w.out.Inbound.Attachments, att)
	w.out.Forwarded = append(w.out.Forwarded, Forwarded{
		Attachment: len(w.out.Inbound.Attachments) - 1,
		Subject:    inner.Inbound.Subject,
		From:       inner.Inbound.From,
		MessageID:  inner.Inbound.MessageID,
		Date:       inner.Date,
		Text:       inner.Inbound.Text,
	})
}

// defaultName names a part that came without a file name.
func defaultName(typ string) string {
	switch typ {
	case "text/calendar":
		return "invite.ics"
	case "text/plain":
		return "attachment.txt"
	case "text/html":
		return "attachment.html"
	}
	if i := strings.IndexByte(typ, '/'); i > 0 && strings.HasPrefix(typ, "image/") {
		return "image." + strings.TrimPrefix(typ[i+1:], "x-")
	}
	return "attachment"
}
