package email

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"slices"
	"strings"
	"time"

	gomail "github.com/emersion/go-message/mail"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/attach"
)

// maxReferences bounds the References header of a reply: the root and the
// most recent ids are what clients thread on.
const maxReferences = 20

// composed is an outgoing message ready for SMTP.
type composed struct {
	from       string
	recipients []string
	messageID  string
	raw        []byte
}

// compose renders out as an RFC 5322 message: threading headers so the
// customer's client files the reply in its thread, a plus-addressed
// Reply-To token when configured, Auto-Submitted on automatic replies,
// multipart/alternative when there is HTML, and the attachments.
func (c *Channel) compose(ctx context.Context, out inbox.Outbound) (composed, error) {
	m := out.Message
	from := m.From
	if from.Email == "" && len(c.opts.Addresses) > 0 {
		from.Email = c.opts.Addresses[0]
	}
	if from.Email == "" {
		return composed{}, fmt.Errorf("email: compose: %w", inbox.Invalid("message.from", "no sender address: set Options.Addresses"))
	}
	if from.Name == "" {
		from.Name = c.opts.FromName
	}
	to := m.To
	if len(to) == 0 {
		for _, e := range out.Contact.Emails {
			to = append(to, inbox.Party{Name: out.Contact.Name, Email: e})
			break
		}
	}
	var rcpts []string
	for _, p := range slices.Concat(to, m.Cc, m.Bcc) {
		if p.Email == "" {
			continue
		}
		if err := checkAddress(p.Email); err != nil {
			return composed{}, fmt.Errorf("email: compose: %w", inbox.Invalid("message.to", err.Error()))
		}
		rcpts = append(rcpts, p.Email)
	}
	if len(rcpts) == 0 {
		return composed{}, fmt.Errorf("email: compose: %w", inbox.Invalid("message.to", "no recipient address"))
	}

	messageID := inbox.CleanMessageID(m.MessageID)
	if messageID == "" {
		// Stable across retries of one outbox entry, so a receiver can
		// recognise a repeated delivery.
		key := out.IdempotencyKey
		if key == "" {
			key = inbox.NewID()
		}
		sum := sha256.Sum256([]byte(c.opts.IntegrationID + "\x00" + key))
		messageID = hex.EncodeToString(sum[:13]) + "@" + c.domain
	}
	inReplyTo, refs := inbox.CleanMessageID(m.InReplyTo), m.References
	if inReplyTo == "" {
		inReplyTo, refs = threadHeaders(out.Thread)
	}
	subject := m.Subject
	if subject == "" {
		subject = out.Conversation.Subject
		if subject != "" && inbox.NormalizeSubject(subject) == strings.TrimSpace(subject) && inReplyTo != "" {
			subject = "Re: " + subject
		}
	}

	var h gomail.Header
	h.SetAddressList("From", []*gomail.Address{{Name: from.Name, Address: from.Email}})
	h.SetAddressList("To", addresses(to))
	if len(m.Cc) > 0 {
		h.SetAddressList("Cc", addresses(m.Cc))
	}
	if c.opts.ReplyToken {
		if rt := c.replyTokenAddress(from.Email, messageID); rt != "" {
			h.SetAddressList("Reply-To", []*gomail.Address{{Name: from.Name, Address: rt}})
		}
	}
	h.SetSubject(subject)
	sent := m.SentAt
	if sent.IsZero() {
		sent = time.Now()
	}
	h.SetDate(sent)
	h.SetMessageID(messageID)
	if inReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{inReplyTo})
		refs = capReferences(appendMissing(refs, inReplyTo))
		h.SetMsgIDList("References", refs)
	}
	if m.Author == inbox.AuthorAutoReply {
		// RFC 3834: other responders must not answer this one.
		h.Set("Auto-Submitted", "auto-replied")
		h.Set("X-Auto-Response-Suppress", "All")
		// The older conventions, for responders that only know them.
		h.Set("Precedence", "auto_reply")
		h.Set("X-Autoreply", "yes")
	}

	var buf bytes.Buffer
	if err := c.writeBody(ctx, &buf, h, m, out.Blobs); err != nil {
		return composed{}, err
	}
	return composed{from: from.Email, recipients: rcpts, messageID: messageID, raw: buf.Bytes()}, nil
}

// writeBody writes the MIME body: one text part, text+HTML alternatives,
// and attachments in a mixed container.
func (c *Channel) writeBody(ctx context.Context, w io.Writer, h gomail.Header, m inbox.Message, blobs inbox.BlobStore) error {
	textHeader := func(typ string) gomail.InlineHeader {
		var ih gomail.InlineHeader
		ih.SetContentType(typ, map[string]string{"charset": "utf-8"})
		ih.Set("Content-Transfer-Encoding", "quoted-printable")
		return ih
	}
	text := m.Text
	if text == "" && m.HTML != "" {
		text = htmlToText(strings.NewReader(m.HTML))
	}
	if len(m.Attachments) == 0 && m.HTML == "" {
		h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
		h.Set("Content-Transfer-Encoding", "quoted-printable")
		sw, err := gomail.CreateSingleInlineWriter(w, h)
		if err != nil {
			return fmt.Errorf("email: compose: %w", err)
		}
		if _, err := io.WriteString(sw, text); err != nil {
			return err
		}
		return sw.Close()
	}

	var mw *gomail.Writer
	var iw *gomail.InlineWriter
	var err error
	if len(m.Attachments) > 0 {
		if mw, err = gomail.CreateWriter(w, h); err != nil {
			return fmt.Errorf("email: compose: %w", err)
		}
		if m.HTML != "" {
			iw, err = mw.CreateInline()
		}
	} else {
		iw, err = gomail.CreateInlineWriter(w, h)
	}
	if err != nil {
		return fmt.Errorf("email: compose: %w", err)
	}
	writePart := func(create func(gomail.InlineHeader) (io.WriteCloser, error), typ, body string) error {
		pw, err := create(textHeader(typ))
		if err != nil {
			return err
		}
		if _, err := io.WriteString(pw, body); err != nil {
			return err
		}
		return pw.Close()
	}
	if iw != nil {
		if err := writePart(iw.CreatePart, "text/plain", text); err != nil {
			return err
		}
		if m.HTML != "" {
			if err := writePart(iw.CreatePart, "text/html", m.HTML); err != nil {
				return err
			}
		}
		if err := iw.Close(); err != nil {
			return err
		}
	} else if err := writePart(mw.CreateSingleInline, "text/plain", text); err != nil {
		return err
	}
	if mw == nil {
		return nil
	}
	for i, a := range m.Attachments {
		if err := c.writeAttachment(ctx, mw, a, blobs); err != nil {
			return fmt.Errorf("email: compose attachment %d: %w", i, err)
		}
	}
	return mw.Close()
}

func (c *Channel) writeAttachment(ctx context.Context, mw *gomail.Writer, a inbox.Attachment, blobs inbox.BlobStore) error {
	if a.BlobKey == "" || blobs == nil {
		return inbox.Invalid("attachment.blob_key", "the attachment's bytes are not in a blob store")
	}
	rc, err := blobs.Get(ctx, a.BlobKey)
	if err != nil {
		return err
	}
	defer rc.Close()
	var ah gomail.AttachmentHeader
	typ := a.ContentType
	if _, _, err := mime.ParseMediaType(typ); err != nil || typ == "" {
		typ = "application/octet-stream"
	}
	ah.SetContentType(typ, nil)
	name := attach.SanitizeFilename(a.Filename)
	disp := "attachment"
	if a.Inline {
		disp = "inline"
	}
	ah.SetContentDisposition(disp, map[string]string{"filename": name})
	if a.ContentID != "" {
		ah.Set("Content-Id", "<"+a.ContentID+">")
	}
	ah.Set("Content-Transfer-Encoding", "base64")
	pw, err := mw.CreateAttachment(ah)
	if err != nil {
		return err
	}
	if _, err := io.Copy(pw, rc); err != nil {
		return err
	}
	return pw.Close()
}

// threadHeaders derives In-Reply-To and References from a conversation:
// the last message with a Message-ID, preferring the customer's.
func threadHeaders(thread []inbox.Message) (string, []string) {
	var last *inbox.Message
	for i := len(thread) - 1; i >= 0; i-- {
		if thread[i].MessageID == "" {
			continue
		}
		if last == nil {
			last = &thread[i]
		}
		if thread[i].Direction == inbox.DirectionIn {
			last = &thread[i]
			break
		}
	}
	if last == nil {
		return "", nil
	}
	return last.MessageID, append(append([]string(nil), last.References...), last.MessageID)
}

func capReferences(refs []string) []string {
	if len(refs) <= maxReferences {
		return refs
	}
	return append([]string{refs[0]}, refs[len(refs)-maxReferences+1:]...)
}

func appendMissing(list []string, id string) []string {
	for _, x := range list {
		if x == id {
			return list
		}
	}
	return append(list, id)
}

func addresses(ps []inbox.Party) []*gomail.Address {
	out := make([]*gomail.Address, 0, len(ps))
	for _, p := range ps {
		if p.Email != "" {
			out = append(out, &gomail.Address{Name: p.Name, Address: p.Email})
		}
	}
	return out
}

// checkAddress refuses addresses that would break the SMTP envelope.
func checkAddress(addr string) error {
	if strings.ContainsAny(addr, "\r\n<> ,;") || strings.Count(addr, "@") != 1 {
		return fmt.Errorf("%q is not a valid address", addr)
	}
	return nil
}
