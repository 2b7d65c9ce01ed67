package email

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-message"
	// Registers the charsets go-message decodes (ISO-8859-*, windows-125x,
	// ISO-2022-JP, GBK...); without it non-UTF-8 mail fails to decode.
	_ "github.com/emersion/go-message/charset"
	"github.com/microcosm-cc/bluemonday"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/attach"
)

// Size limits applied when ParseOptions leaves them zero.
const (
	DefaultMaxTextBytes       = 1 << 20 // 1 MiB of text, and as much HTML
	DefaultMaxAttachmentBytes = attach.DefaultMaxSize
	DefaultMaxParts           = 500
	DefaultMaxDepth           = 20
	maxHeaderBytes            = 1 << 20
	maxStructuredPartBytes    = 256 << 10 // delivery reports, returned headers
)

// ParseOptions configure a Parser. The zero value parses without keeping
// any bytes (attachments are measured and hashed only).
type ParseOptions struct {
	// Tenant prefixes the BlobStore keys of raw messages and attachments.
	Tenant inbox.TenantID
	// Blobs receives the raw message and attachment bytes, streamed. Nil:
	// nothing is kept, attachments are only described.
	Blobs inbox.BlobStore
	// DiscardRaw skips keeping the original message in Blobs. Zero: the
	// raw message is kept and Inbound.RawKey names it.
	DiscardRaw bool
	// MaxTextBytes caps the stored text and, separately, the HTML. Longer
	// text is cut with a notice; the raw message keeps everything.
	// 0 means DefaultMaxTextBytes.
	MaxTextBytes int
	// MaxAttachmentBytes caps one attachment; larger ones are described
	// with Rejected set and their bytes are not kept. 0 means
	// DefaultMaxAttachmentBytes.
	MaxAttachmentBytes int64
	// AllowedTypes is the attachment type allow-list ("type/subtype" or
	// "type/*"); empty means attach.DefaultAllow. Refused attachments are
	// described with Rejected set and their bytes are not kept.
	AllowedTypes []string
	// MaxParts caps the MIME parts read; MaxDepth the multipart nesting.
	// Parts beyond them stay in the raw message only. 0 means the
	// defaults.
	MaxParts int
	MaxDepth int
	// OwnAddresses are the mailbox's own addresses (lower case). Mail
	// from one of them is marked Inbound.Own.
	OwnAddresses []string
}

// Parser turns RFC 5322 messages into inbox.Inbound values. It is safe for
// concurrent use.
type Parser struct {
	opts   ParseOptions
	policy *bluemonday.Policy
	own    map[string]bool
	// pending, when set, collects raw-message writes instead of waiting.
	pending *blobWaits
}

// NewParser validates opts and returns a Parser.
func NewParser(opts ParseOptions) (*Parser, error) {
	if opts.MaxTextBytes < 0 || opts.MaxAttachmentBytes < 0 || opts.MaxParts < 0 || opts.MaxDepth < 0 {
		return nil, fmt.Errorf("email: new parser: %w", inbox.Invalid("ParseOptions", "size limits must not be negative"))
	}
	if opts.Blobs != nil && opts.Tenant == "" {
		return nil, fmt.Errorf("email: new parser: %w", inbox.Invalid("ParseOptions.Tenant", "is required with Blobs"))
	}
	if opts.MaxTextBytes == 0 {
		opts.MaxTextBytes = DefaultMaxTextBytes
	}
	if opts.MaxAttachmentBytes == 0 {
		opts.MaxAttachmentBytes = DefaultMaxAttachmentBytes
	}
	if opts.MaxParts == 0 {
		opts.MaxParts = DefaultMaxParts
	}
	if opts.MaxDepth == 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	p := &Parser{opts: opts, policy: newHTMLPolicy(), own: map[string]bool{}}
	for _, a := range opts.OwnAddresses {
		p.own[inbox.NormalizeEmail(a)] = true
	}
	return p, nil
}

// deferring returns a parser that does not wait for raw messages to be
// written: the writes are collected in pending, sharing everything else.
// When the BlobStore is an inbox.BlobBatcher, the parser stages raw
// messages and attachments, and staged is the store whose Sync must
// succeed before a batch referring to them is committed.
func (p *Parser) deferring(pending *blobWaits) (parser *Parser, staged inbox.BlobBatcher) {
	cp := *p
	cp.pending = pending
	if b, ok := p.opts.Blobs.(inbox.BlobBatcher); ok {
		cp.opts.Blobs = stagingBlobs{b}
		staged = b
	}
	return &cp, staged
}

// stagingBlobs writes with Stage where Put is called, for the code paths
// (attachment checks included) that know only inbox.BlobStore.
type stagingBlobs struct{ inbox.BlobBatcher }

func (s stagingBlobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	return s.Stage(ctx, key, r)
}

// Parsed is a parsed message: the Inbound for the engine plus what the
// message says beyond it, for display and for tests.
type Parsed struct {
	Inbound inbox.Inbound
	// Date is the Date header; zero when it is missing or invalid, in
	// which case Inbound.SentAt comes from the last Received header.
	Date time.Time
	// DateStatus is "ok", "missing" or "invalid".
	DateStatus string
	// Charset is the declared charset of the text part used (lower case).
	Charset string
	// QuotedStart is the byte offset in Inbound.Text where the quoted
	// history of a reply begins, -1 when there is none.
	QuotedStart int
	// AutoReplyTo is where an automatic reply may go (Reply-To over From);
	// empty for automated mail, which never gets one.
	AutoReplyTo string
	Detection   Detection
	Unsubscribe Unsubscribe
	// Bounce is the delivery status report of a bounce, nil otherwise.
	Bounce *BounceReport
	// Forwarded describes the message/rfc822 parts, in order.
	Forwarded []Forwarded
	// Truncated is true when the text was cut at the size limit or the
	// message ended before its MIME structure did.
	Truncated bool
	// Size is the length of the raw message in bytes.
	Size int64
	// DroppedParts counts the MIME parts not read because of
	// ParseOptions.MaxDepth (a deeper subtree counts once) or MaxParts
	// (once, however many follow); the text then ends with a note saying
	// so, and the raw message keeps them.
	DroppedParts int
	// SenderFrom names the header Inbound.From was read from: "From", or
	// for a message without a From address "Sender", "Reply-To" or
	// "Return-Path"; "" when there is no sender address at all.
	SenderFrom string
}

// Forwarded is a message attached to another (message/rfc822).
type Forwarded struct {
	// Attachment indexes Inbound.Attachments.
	Attachment int
	Subject    string
	From       inbox.Party
	MessageID  string
	Date       time.Time
	Text       string
}

// Parse reads one raw message from r. Parse problems do not fail it: the
// result then carries Inbound.ParseError and, when raw messages are kept,
// Inbound.RawKey, so the engine quarantines the message. An error is
// returned only when r fails or the BlobStore refuses the raw message.
func (p *Parser) Parse(ctx context.Context, r io.Reader) (*Parsed, error) {
	out := &Parsed{QuotedStart: -1}
	out.Inbound.Source = inbox.SourceEmail
	rawKey := ""
	if p.opts.Blobs != nil && !p.opts.DiscardRaw {
		rawKey = inbox.NewBlobKey(p.opts.Tenant, inbox.BlobKindRaw)
	}
	res, parseErr := streamBlob(ctx, p.opts.Blobs, rawKey, r, -1, p.pending, func(tr io.Reader) error {
		w := &walker{p: p, ctx: ctx, out: out, store: p.opts.Blobs}
		return w.message(tr)
	})
	out.Size = res.Size
	if res.ReadErr != nil {
		return nil, fmt.Errorf("read message: %w", res.ReadErr)
	}
	if rawKey != "" {
		if !res.Stored {
			return nil, fmt.Errorf("keep raw message: %w", res.StoreErr)
		}
		out.Inbound.RawKey = rawKey
	}
	if parseErr != nil {
		var fatal blobError
		if errors.As(parseErr, &fatal) {
			if rawKey != "" {
				_ = p.opts.Blobs.Delete(context.WithoutCancel(ctx), rawKey)
			}
			return nil, fatal.err
		}
		out.Inbound.ParseError = parseErr.Error()
	}
	if out.Inbound.ParseError == "" && out.Inbound.From.Email == "" {
		// The engine files mail by its sender and refuses mail without
		// one: quarantined, it can be read from the raw message and
		// replayed.
		out.Inbound.ParseError = errNoSender.Error()
	}
	return out, nil
}

// errNoSender is the ParseError of a message without any sender address.
var errNoSender = errors.New("no sender address: the message has no address in From, Sender, Reply-To or Return-Path")

// sender returns the author of a message and the header it was found in.
// From names the author; when it holds no address (missing, or a bare
// display name), the address comes, in order, from Sender (who sent it on
// the author's behalf), Reply-To (where the author wants answers) or
// Return-Path (the envelope sender the delivering server recorded),
// keeping a display name From gave. cs is as for headerText.
func sender(h message.Header, cs string) (inbox.Party, string) {
	var from inbox.Party
	for _, key := range []string{"From", "Sender", "Reply-To", "Return-Path"} {
		list := parties(h, key, cs)
		if key == "From" && len(list) == 0 {
			// "From: Amélie Durand": a name without an address.
			from.Name = cleanName(strings.Trim(headerText(h, key, cs), "<>"), cs)
		}
		for _, p := range list {
			if p.Email == "" {
				if from.Name == "" {
					from.Name = p.Name
				}
				continue
			}
			if from.Name != "" {
				p.Name = from.Name
			}
			return p, key
		}
	}
	return from, ""
}

// blobError is a BlobStore failure while storing an attachment: it fails
// the whole parse, since retrying later can succeed.
type blobError struct{ err error }

func (e blobError) Error() string { return e.err.Error() }

// walker holds the state of one parse.
type walker struct {
	p     *Parser
	ctx   context.Context
	out   *Parsed
	store inbox.BlobStore // nil inside forwarded messages: their bytes are kept whole

	parts                  int
	plain, html            strings.Builder
	plainSet, htmlSet      bool
	plainOmitted, htmlOmit int64
	bounce                 BounceReport
	isReport               bool
	storeErr               error
	envelope               string // the mbox "From " line's text, if any
	failedRecipients       string // X-Failed-Recipients (Exim bounces)
	droppedDeep            int    // subtrees nested deeper than MaxDepth
	droppedMany            int    // parts beyond MaxParts
}

// messageReaders recycles the read buffers of message: a sync parses
// thousands of messages, and a fresh 32 KiB buffer each is garbage to
// clear and collect.
var messageReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 32<<10) }}

// message parses a whole message: headers, then the body tree.
func (w *walker) message(r io.Reader) error {
	br := messageReaders.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil) // keep no reference to r
		messageReaders.Put(br)
	}()
	h, body, envelope, err := readHeader(br, true)
	if err != nil {
		return fmt.Errorf("unreadable header: %w", err)
	}
	w.envelope = envelope
	w.headers(h)
	w.entity(h, body, 0, "")
	w.finish()
	return w.storeErr
}

// headers fills the Inbound from the top-level header.
func (w *walker) headers(h message.Header) {
	in := &w.out.Inbound
	// Raw 8-bit header text is read in the charset the message declares.
	_, ct := mediaType(h.Get("Content-Type"))
	cs := ct["charset"]
	in.Subject = headerText(h, "Subject", cs)
	in.From, w.out.SenderFrom = sender(h, cs)
	in.To = parties(h, "To", cs)
	in.Cc = parties(h, "Cc", cs)
	in.ReplyTo = parties(h, "Reply-To", cs)
	w.failedRecipients = h.Get("X-Failed-Recipients")
	in.MessageID = firstID(messageIDs(h, "Message-Id"))
	in.InReplyTo = firstID(messageIDs(h, "In-Reply-To"))
	in.References = messageIDs(h, "References")
	in.ThreadIndex = strings.TrimSpace(h.Get("Thread-Index"))
	in.Own = w.p.own[in.From.Email]

	switch raw := h.Get("Date"); {
	case strings.TrimSpace(raw) == "":
		w.out.DateStatus = "missing"
	default:
		if t, ok := parseDate(raw); ok {
			w.out.Date, w.out.DateStatus = t, "ok"
		} else {
			w.out.DateStatus = "invalid"
		}
	}
	in.SentAt = w.out.Date
	if in.SentAt.IsZero() {
		if t, ok := receivedDate(h); ok {
			in.SentAt = t
		}
	}

	d := Detect(h, in.From.Email, in.Subject)
	w.out.Detection = d
	in.Automated, in.Newsletter, in.Bounce, in.AutomatedReason = d.Automated, d.Newsletter, d.Bounce, d.Reason
	w.out.Unsubscribe = ParseUnsubscribe(h)
	if !d.Automated {
		switch {
		case len(in.ReplyTo) > 0 && in.ReplyTo[0].Email != "":
			w.out.AutoReplyTo = in.ReplyTo[0].Email
		default:
			w.out.AutoReplyTo = in.From.Email
		}
	}
}

// finish sets the text and HTML once the body tree has been read.
func (w *walker) finish() {
	in := &w.out.Inbound
	limit := w.p.opts.MaxTextBytes
	if w.htmlSet {
		in.HTML = w.p.policy.Sanitize(w.html.String())
		if w.htmlOmit > 0 {
			w.out.Truncated = true
		}
	}
	switch {
	case w.plainSet:
		in.Text = w.plain.String()
		if w.plainOmitted > 0 {
			w.out.Truncated = true
			in.Text += truncationNotice(w.plainOmitted)
		}
	case w.htmlSet:
		in.Text = htmlToText(strings.NewReader(in.HTML))
		if len(in.Text) > limit {
			in.Text = truncateUTF8(in.Text, limit) + truncationNotice(int64(len(in.Text)-limit))
		} else if w.htmlOmit > 0 {
			in.Text += truncationNotice(w.htmlOmit)
		}
	}
	w.noteDropped()
	w.out.QuotedStart = QuotedStart(in.Text)
	if w.isReport && w.bounce.FinalRecipient != "" {
		b := w.bounce
		w.out.Bounce = &b
	}
	if w.out.Bounce == nil {
		w.plainTextBounce()
	}
}

// noteDropped tells the reader, at the end of the text and of the HTML,
// that parts of the message were not read because of the depth or part
// limits: they are only in the raw message.
func (w *walker) noteDropped() {
	var notes []string
	if w.droppedDeep > 0 {
		notes = append(notes, fmt.Sprintf("[%d part(s) of this message are not shown: they are nested deeper than %d levels. The original message keeps them.]",
			w.droppedDeep, w.p.opts.MaxDepth))
	}
	if w.droppedMany > 0 {
		notes = append(notes, fmt.Sprintf("[This message has more than %d parts; the others are not shown. The original message keeps them.]",
			w.p.opts.MaxParts))
	}
	if len(notes) == 0 {
		return
	}
	in := &w.out.Inbound
	w.out.DroppedParts = w.droppedDeep + w.droppedMany
	note := strings.Join(notes, "\n")
	if strings.TrimSpace(in.Text) != "" {
		note = "\n\n" + note
	}
	in.Text += note
	if in.HTML != "" {
		in.HTML += "<p><em>" + html.EscapeString(strings.Join(notes, " ")) + "</em></p>"
	}
}

// plainTextBounce recognises a delivery report written as plain text
// (Exim's) and marks the message as the bounce it is.
func (w *walker) plainTextBounce() {
	in := &w.out.Inbound
	b, ok := parseEximBounce(in.Text, w.failedRecipients)
	if !ok {
		return
	}
	if b.OriginalMessageID == "" {
		for _, f := range w.out.Forwarded { // the message returned as an attachment
			if f.MessageID != "" {
				b.OriginalMessageID = f.MessageID
				break
			}
		}
	}
	if local, host, ok := strings.Cut(in.From.Email, "@"); ok && strings.EqualFold(local, "mailer-daemon") {
		b.ReportingMTA = host
	}
	w.out.Bounce = &b
	if !in.Bounce {
		const signal = "plain-text delivery report"
		d := &w.out.Detection
		d.Automated, d.Bounce, d.Newsletter, d.Kind, d.Reason = true, true, false, KindBounce, signal
		d.Signals = append([]string{signal}, d.Signals...)
		in.Automated, in.Bounce, in.Newsletter, in.AutomatedReason = true, true, false, signal
		w.out.AutoReplyTo = ""
	}
}

// entity handles one MIME entity (header and raw body): recurses into
// multiparts, keeps the first text and HTML bodies and turns everything
// else into attachments.
func (w *walker) entity(h message.Header, body io.Reader, depth int, parent string) {
	w.parts++
	switch {
	case w.parts > w.p.opts.MaxParts:
		w.out.Truncated = true
		w.droppedMany++
		return
	case depth > w.p.opts.MaxDepth:
		w.out.Truncated = true
		w.droppedDeep++
		return
	}
	typ, params := mediaType(h.Get("Content-Type"))
	switch {
	case typ == "" && parent == "multipart/digest":
		typ = "message/rfc822" // RFC 2046 5.1.5: the default in a digest
	case typ == "" || !strings.Contains(typ, "/"):
		typ, params = "text/plain", map[string]string{"charset": params["charset"]}
	}
	if strings.HasPrefix(typ, "multipart/") {
		if b := params["boundary"]; b != "" && len(b) <= maxBoundaryLen {
			if typ == "multipart/report" {
				w.isReport = true
			}
			w.multipart(body, b, depth, typ)
			return
		}
		// Without a boundary the parts cannot be told apart: the body
		// is read as the text it is.
		typ, params = "text/plain", map[string]string{"charset": params["charset"]}
	}
	body, err := decodeBody(h, typ, params, body)
	if err != nil && !isUndecoded(err) {
		w.out.Truncated = true
	}

	disp, dparams := mediaType(h.Get("Content-Disposition"))
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	isBody := name == "" && disp != "attachment"
	switch {
	case typ == "text/plain" && isBody && (!w.plainSet || parent != "multipart/alternative"):
		// Text parts add up, except the versions of one text that
		// multipart/alternative offers. Subtypes the parser does not
		// know are read as multipart/mixed (RFC 2046 5.1.3).
		w.text(body, params, &w.plain, &w.plainSet, &w.plainOmitted)
		if w.out.Charset == "" {
			w.out.Charset = strings.ToLower(params["charset"])
		}
		return
	case typ == "text/html" && isBody && !w.htmlSet:
		w.text(body, params, &w.html, &w.htmlSet, &w.htmlOmit)
		if w.out.Charset == "" && !w.plainSet {
			w.out.Charset = strings.ToLower(params["charset"])
		}
		return
	case typ == "message/delivery-status" || typ == "message/global-delivery-status":
		b, _, _ := readLimited(body, maxStructuredPartBytes)
		parseDeliveryStatus(b, &w.bounce)
		return
	case typ == "text/rfc822-headers" && w.isReport:
		w.returnedHeaders(body)
		return
	}
	w.attachment(h, body, typ, disp, name)
}

// multipart reads the parts of a multipart body.
func (w *walker) multipart(body io.Reader, boundary string, depth int, typ string) {
	mr := newMultipartReader(body, boundary)
	defer mr.release()
	for {
		raw, err := mr.next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			// A boundary that never closes: keep what was read.
			w.out.Truncated = true
			return
		}
		br := getPartReader(raw)
		h, pbody, _, err := readHeader(br, false)
		if err != nil {
			putPartReader(br)
			w.out.Truncated = true
			continue
		}
		w.entity(h, pbody, depth+1, typ)
		putPartReader(br)
		if w.out.Truncated && w.parts > w.p.opts.MaxParts {
			return
		}
	}
}

// text appends a text body, within the size limit.
func (w *walker) text(body io.Reader, params map[string]string, into *strings.Builder, set *bool, omitted *int64) {
	room := w.p.opts.MaxTextBytes - into.Len()
	if room < 0 {
		room = 0
	}
	buf := textBuffers.Get().(*bytes.Buffer)
	defer putTextBuffer(buf)
	rest, err := readLimitedInto(buf, body, room)
	if err != nil {
		w.out.Truncated = true
	}
	flowed := strings.EqualFold(params["format"], "flowed")
	s := cleanText(buf.Bytes(), flowed, strings.EqualFold(params["delsp"], "yes"))
	if into.Len() > 0 && strings.TrimSpace(s) != "" {
		into.WriteString("\n\n")
	}
	into.WriteString(s)
	*set = true
	*omitted += rest
}

// returnedHeaders reads the original Message-ID from a bounce's
// text/rfc822-headers part.
func (w *walker) returnedHeaders(r io.Reader) {
	b, _, _ := readLimited(r, maxStructuredPartBytes)
	h, _, _, err := readHeader(bufio.NewReader(bytes.NewReader(append(b, "\r\n\r\n"...))), false)
	if err != nil {
		return
	}
	if id := firstID(messageIDs(h, "Message-Id")); id != "" && w.bounce.OriginalMessageID == "" {
		w.bounce.OriginalMessageID = id
	}
}
