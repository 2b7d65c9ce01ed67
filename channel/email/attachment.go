package email

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-message"
	"github.com/gabriel-vasile/mimetype"

	"github.com/inboxkit/inboxkit/inbox"
)

// sniffBytes is how much of an attachment is read to recognise its real
// type.
const sniffBytes = 3072

// attachment streams one non-body part to the BlobStore and describes it.
func (w *walker) attachment(e *message.Entity, typ, disp, rawName string) {
	cid := strings.TrimSpace(strings.Trim(strings.TrimSpace(e.Header.Get("Content-Id")), "<>"))
	att := inbox.Attachment{
		ID:          inbox.NewID(),
		ContentType: typ,
		ContentID:   cid,
		Inline:      disp == "inline" || (disp == "" && cid != ""),
	}
	if rawName != "" {
		att.Filename = SanitizeFilename(rawName)
	}
	if typ == "message/rfc822" || typ == "message/global" {
		w.forwarded(e, att)
		return
	}
	if att.Filename == "" {
		att.Filename = SanitizeFilename(defaultName(typ))
	}

	br := bufio.NewReaderSize(e.Body, sniffBytes)
	head, _ := br.Peek(sniffBytes)
	mismatch := ""
	if len(head) > 0 {
		mismatch = typeMismatch(typ, mimetype.Detect(head))
	}
	key := ""
	if w.store != nil && mismatch == "" {
		key = inbox.NewBlobKey(w.p.opts.Tenant, "attachment")
	}
	res, _ := streamBlob(w.ctx, w.store, key, br, w.p.opts.MaxAttachmentBytes, nil)
	att.Size, att.SHA256 = res.Size, res.SHA256
	switch {
	case mismatch != "":
		att.Rejected = mismatch
	case res.ReadErr != nil:
		// Broken transfer encoding or a message cut short: what was
		// decoded is described, nothing half-written is kept.
		w.out.Truncated = true
		att.Rejected = "incomplete: the part could not be read to its end (" + res.ReadErr.Error() + ")"
	case errors.Is(res.StoreErr, errTooLarge):
		att.Rejected = fmt.Sprintf("larger than the %d-byte attachment limit", w.p.opts.MaxAttachmentBytes)
	case key != "" && res.StoreErr != nil:
		w.fail(res.StoreErr)
	case res.Stored:
		att.BlobKey = key
	}
	w.out.Inbound.Attachments = append(w.out.Inbound.Attachments, att)
}

// fail records a BlobStore failure; Parse then returns it as an error.
func (w *walker) fail(err error) {
	if w.storeErr == nil {
		w.storeErr = blobError{err: fmt.Errorf("store attachment: %w", err)}
	}
}

// forwarded keeps an attached message whole and reads its headers and
// text for display.
func (w *walker) forwarded(e *message.Entity, att inbox.Attachment) {
	key := ""
	if w.store != nil {
		key = inbox.NewBlobKey(w.p.opts.Tenant, "attachment")
	}
	inner := &Parsed{QuotedStart: -1}
	res, _ := streamBlob(w.ctx, w.store, key, e.Body, w.p.opts.MaxAttachmentBytes, func(r io.Reader) error {
		iw := &walker{p: w.p, ctx: w.ctx, out: inner}
		return iw.message(r)
	})
	att.Size, att.SHA256 = res.Size, res.SHA256
	if att.Filename == "" {
		name := inner.Inbound.Subject
		if name == "" {
			name = "message"
		}
		att.Filename = SanitizeFilename(strings.NewReplacer("/", "-", `\`, "-").Replace(name) + ".eml")
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

// executableTypes are sniffed types that must never pass for something
// else.
var executableTypes = []string{
	"application/x-elf", "application/x-executable", "application/x-sharedlib", "application/x-object",
	"application/vnd.microsoft.portable-executable", "application/x-msdownload", "application/x-mach-binary",
	"application/x-dosexec", "text/x-shellscript", "text/x-python", "text/x-perl", "text/x-php",
	"application/x-bat", "application/java-archive",
}

// typeMismatch explains why sniffed content contradicts the declared type,
// or returns "". Only contradictions that matter are reported: an
// executable or script under another name, an "image" or "PDF" that is not
// one.
func typeMismatch(declared string, sniffed *mimetype.MIME) string {
	if declared == "application/octet-stream" {
		// A generic type claims nothing the content could contradict.
		return ""
	}
	got := sniffed.String()
	if i := strings.IndexByte(got, ';'); i >= 0 {
		got = got[:i]
	}
	for _, x := range executableTypes {
		if sniffed.Is(x) && declared != x {
			return fmt.Sprintf("content is %s, not the declared %s", got, declared)
		}
	}
	switch {
	case strings.HasPrefix(declared, "image/") && !strings.HasPrefix(got, "image/"):
		return fmt.Sprintf("content is %s, not the declared %s", got, declared)
	case declared == "application/pdf" && !sniffed.Is("application/pdf"):
		return fmt.Sprintf("content is %s, not the declared %s", got, declared)
	}
	return ""
}
