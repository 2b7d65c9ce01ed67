package email

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"mime/quotedprintable"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// This file reads MIME structure the way a tolerant mail reader does,
// where go-message stops at the first fault: a header block with a stray
// line, an mbox envelope line, a part whose header is broken (go-message
// then loses that part and every part after it).

// errHeaderTooLarge is a header block over maxHeaderBytes.
var errHeaderTooLarge = errors.New("header block larger than 1 MiB")

// readHeader reads a header block from br up to the blank line that ends
// it and returns the header and the body that follows. It tolerates:
//   - at the top of a message (top), an mbox "From " envelope line (its
//     text is returned as envelope) and blank lines before the first field;
//   - a line that is neither a field nor a continuation: when the
//     previous field ends with ";" it is taken for a continuation that
//     lost its indent; when more fields follow, or it looks like a field
//     without its colon ("X-Priority 3") and the blank line follows, it is
//     dropped; otherwise it is the first line of the body (the blank line
//     is missing);
//   - a continuation line with no field to continue, likewise.
//
// Only a header block over maxHeaderBytes, or a failing reader, is an
// error.
func readHeader(br *bufio.Reader, top bool) (h message.Header, body io.Reader, envelope string, err error) {
	var block bytes.Buffer
	var line []byte
	first, openParams := true, false
	body = br
	for done := false; !done; {
		line, err = readLine(br, line[:0], maxHeaderBytes-block.Len())
		if err != nil && !errors.Is(err, io.EOF) {
			return message.Header{}, nil, "", err
		}
		done = err != nil
		if len(line) == 0 {
			break
		}
		isFirst := first
		first = false
		switch {
		case isFirst && top && bytes.HasPrefix(line, []byte("From ")):
			envelope = strings.TrimSpace(string(line[5:]))
			first = true // fields or blank lines may follow as at the start
			continue
		case isBlankLine(line):
			if isFirst && top && !done && fieldAfterBlanks(br) {
				first = true
				continue
			}
			done = true
			continue
		case (line[0] == ' ' || line[0] == '\t') && block.Len() > 0:
		case isFieldLine(line):
		case openParams:
			// "Content-Disposition: attachment;" then "filename=x.pdf":
			// a folded parameter list whose indent was lost.
			block.WriteByte(' ')
		case !done && nextIsField(br):
			continue // a stray line between fields
		case brokenField.Match(line) && (done || nextIsBlank(br)):
			continue // "X-Priority 3": a last field that lost its colon
		default:
			// The body starts here: the blank line is missing.
			body = io.MultiReader(bytes.NewReader(bytes.Clone(line)), br)
			done = true
			continue
		}
		writeHeaderLine(&block, line)
		t := bytes.TrimRight(line, " \t\r\n")
		openParams = len(t) > 0 && t[len(t)-1] == ';'
	}
	block.WriteString("\r\n")
	// readHeader passes only lines textproto accepts; should that ever
	// change, what it read before the fault is kept.
	th, _ := textproto.ReadHeader(bufio.NewReaderSize(&block, block.Len()))
	return message.Header{Header: th}, body, envelope, nil
}

// readLine appends one line of br, with its "\n", to line. A line longer
// than limit fails with errHeaderTooLarge.
func readLine(br *bufio.Reader, line []byte, limit int) ([]byte, error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > limit {
			return line, errHeaderTooLarge
		}
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return line, err
	}
}

func isBlankLine(line []byte) bool {
	return len(bytes.TrimRight(line, "\r\n")) == 0
}

// writeHeaderLine adds a line to a header block, ending it with CRLF.
func writeHeaderLine(block *bytes.Buffer, line []byte) {
	block.Write(bytes.TrimRight(line, "\r\n"))
	block.WriteString("\r\n")
}

// isFieldLine reports whether line starts a header field: a name of
// printable ASCII without a colon, optional blanks, then a colon.
func isFieldLine(line []byte) bool {
	i := 0
	for i < len(line) && line[i] > ' ' && line[i] < 0x7f && line[i] != ':' {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	return i < len(line) && line[i] == ':'
}

// nextIsField reports whether the next line of br starts a header field,
// without consuming it.
func nextIsField(br *bufio.Reader) bool {
	b, _ := br.Peek(min(1024, br.Size()))
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return isFieldLine(b)
}

// fieldAfterBlanks reports whether, after blank lines, br continues with
// a header field.
func fieldAfterBlanks(br *bufio.Reader) bool {
	b, _ := br.Peek(min(1024, br.Size()))
	return isFieldLine(bytes.TrimLeft(b, "\r\n"))
}

// nextIsBlank reports whether the next line of br is empty.
func nextIsBlank(br *bufio.Reader) bool {
	b, _ := br.Peek(2)
	return len(b) > 0 && (b[0] == '\n' || (b[0] == '\r' && (len(b) == 1 || b[1] == '\n')))
}

// brokenField matches a header field whose colon is missing: a
// hyphenated field name ("X-Priority", "Content-Type"), then a value.
var brokenField = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+[ \t]+\S`)

// maxBoundaryLen bounds the boundaries the multipart reader accepts: RFC
// 2046 allows 70 characters, and the scanner needs a few times that in its
// buffer.
const maxBoundaryLen = 512

// multipartReader splits a multipart body into its raw parts (header and
// body), tolerating what mime/multipart refuses: bare LF line endings in
// any part, not just the first; garbage between a part and the next
// boundary; text after a boundary on its line.
type multipartReader struct {
	br             *bufio.Reader
	dashBoundary   []byte // "--boundary"
	nlDashBoundary []byte // "\n--boundary"
	cur            *rawPart
	done           bool
}

// errUnclosed ends a multipart body whose closing boundary never came.
var errUnclosed = errors.New("multipart body ends without its closing boundary")

// newMultipartReader reads the parts of r; release returns its buffer.
func newMultipartReader(r io.Reader, boundary string) *multipartReader {
	nl := []byte("\n--" + boundary)
	return &multipartReader{
		br:             getPartReader(&stickyReader{r: r}),
		dashBoundary:   nl[1:],
		nlDashBoundary: nl,
	}
}

func (mr *multipartReader) release() {
	putPartReader(mr.br)
	mr.br = nil
}

// partReaders recycles the buffers of multipart bodies and part headers:
// a sync reads thousands of parts.
var partReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

func getPartReader(r io.Reader) *bufio.Reader {
	br := partReaders.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

func putPartReader(br *bufio.Reader) {
	br.Reset(nil)
	partReaders.Put(br)
}

// next returns the next raw part, io.EOF after the closing boundary, or
// errUnclosed when the body ends first.
func (mr *multipartReader) next() (*rawPart, error) {
	if mr.cur != nil {
		_, _ = io.Copy(io.Discard, mr.cur)
		mr.cur = nil
	}
	if mr.done {
		return nil, io.EOF
	}
	for {
		line, err := mr.br.ReadSlice('\n')
		long := errors.Is(err, bufio.ErrBufferFull)
		if bytes.HasPrefix(line, mr.dashBoundary) {
			rest := line[len(mr.dashBoundary):]
			switch {
			case bytes.HasPrefix(rest, []byte("--")):
				mr.done = true
				return nil, io.EOF
			case len(rest) == 0 || isBoundaryEnd(rest[0]):
				for long { // the rest of an overlong boundary line
					_, err = mr.br.ReadSlice('\n')
					long = errors.Is(err, bufio.ErrBufferFull)
				}
				if err != nil && !errors.Is(err, io.EOF) {
					return nil, err
				}
				mr.cur = &rawPart{mr: mr}
				return mr.cur, nil
			}
		}
		for long {
			_, err = mr.br.ReadSlice('\n')
			long = errors.Is(err, bufio.ErrBufferFull)
		}
		switch {
		case errors.Is(err, io.EOF):
			return nil, errUnclosed
		case err != nil:
			return nil, err
		}
		// A preamble line, or text between a part and its boundary.
	}
}

// isBoundaryEnd reports whether c may follow a boundary on its line.
func isBoundaryEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

// rawPart reads one part's bytes, header included, up to the line break
// before the next boundary line.
type rawPart struct {
	mr      *multipartReader
	n       int   // bytes known to be part data, waiting in mr.br
	total   int64 // bytes returned so far
	err     error // returned once n is 0
	readErr error
}

func (p *rawPart) Read(d []byte) (int, error) {
	br := p.mr.br
	for p.n == 0 && p.err == nil {
		peek, _ := br.Peek(br.Buffered())
		p.n, p.err = scanPart(peek, p.mr.dashBoundary, p.mr.nlDashBoundary, p.total, p.readErr)
		if p.n == 0 && p.err == nil {
			_, p.readErr = br.Peek(len(peek) + 1)
			if errors.Is(p.readErr, io.EOF) {
				p.readErr = io.ErrUnexpectedEOF
			}
		}
	}
	if p.n == 0 {
		return 0, p.err
	}
	n, _ := br.Read(d[:min(len(d), p.n)])
	p.total += int64(n)
	p.n -= n
	if p.n == 0 {
		return n, p.err
	}
	return n, nil
}

// scanPart returns how many bytes of buf belong to the part, and the
// error to report once they are read: io.EOF at a boundary, readErr at
// the end of the input, nil when more input is needed to decide. The line
// break before a boundary ("\r\n" or "\n") belongs to the boundary.
func scanPart(buf, dashBoundary, nlDashBoundary []byte, total int64, readErr error) (int, error) {
	if total == 0 {
		// An empty part: the boundary follows the previous one at once.
		if bytes.HasPrefix(buf, dashBoundary) {
			switch matchBoundary(buf, dashBoundary, readErr) {
			case 0:
				return 0, nil
			case +1:
				return 0, io.EOF
			}
		} else if bytes.HasPrefix(dashBoundary, buf) {
			if readErr != nil {
				return len(buf), readErr
			}
			return 0, nil
		}
	}
	for from := 0; ; {
		i := bytes.Index(buf[from:], nlDashBoundary)
		if i < 0 {
			break
		}
		i += from
		switch matchBoundary(buf[i:], nlDashBoundary, readErr) {
		case 0:
			return beforeCR(buf, i), nil
		case +1:
			return beforeCR(buf, i), io.EOF
		}
		from = i + 1
	}
	if readErr != nil {
		return len(buf), readErr
	}
	// Hold back a tail that may be the start of a boundary line.
	if i := bytes.LastIndexByte(buf, '\n'); i >= 0 && bytes.HasPrefix(nlDashBoundary, buf[i:]) {
		return beforeCR(buf, i), nil
	}
	if len(buf) > 0 && buf[len(buf)-1] == '\r' {
		return len(buf) - 1, nil
	}
	return len(buf), nil
}

// beforeCR is i, or i-1 when buf[i-1] is the CR of a CRLF.
func beforeCR(buf []byte, i int) int {
	if i > 0 && buf[i-1] == '\r' {
		return i - 1
	}
	return i
}

// matchBoundary reports whether buf, which starts with prefix, is a
// boundary (+1), is not (-1), or needs more input to tell (0).
func matchBoundary(buf, prefix []byte, readErr error) int {
	if len(buf) == len(prefix) {
		if readErr != nil {
			return +1
		}
		return 0
	}
	if c := buf[len(prefix)]; c == '-' || isBoundaryEnd(c) {
		return +1
	}
	return -1
}

// errUndecoded reports a part whose transfer encoding or charset is
// unknown: its bytes are read as they are.
type errUndecoded struct{ what string }

func (e errUndecoded) Error() string { return "unknown " + e.what + ": the part is read undecoded" }

// decodeBody undoes a leaf part's transfer encoding and, for text, converts
// its declared charset to UTF-8. Unknown encodings and charsets leave the
// bytes as they are, with an errUndecoded.
func decodeBody(h message.Header, typ string, params map[string]string, body io.Reader) (io.Reader, error) {
	var err error
	switch enc := transferEncoding(h.Get("Content-Transfer-Encoding")); enc {
	case "base64":
		body = newBase64Reader(body)
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "", "7bit", "8bit", "binary":
	default:
		err = errUndecoded{what: "transfer encoding " + strconv.Quote(enc)}
	}
	if cs := strings.ToLower(strings.TrimSpace(params["charset"])); strings.HasPrefix(typ, "text/") && cs != "" && !isUTF8Charset(cs) {
		r, cerr := message.CharsetReader(cs, body)
		if cerr != nil || r == nil {
			return body, errUndecoded{what: "charset " + strconv.Quote(cs)}
		}
		body = r
	}
	return body, err
}

// transferEncoding normalises a Content-Transfer-Encoding value, accepting
// the spellings seen in the wild ("Base64 ", "\"quoted-printable\"",
// "x-base64").
func transferEncoding(v string) string {
	v = strings.ToLower(strings.Trim(strings.TrimSpace(v), `"'`))
	switch {
	case strings.Contains(v, "base64"):
		return "base64"
	case strings.HasPrefix(v, "quoted"):
		return "quoted-printable"
	case v == "7-bit" || v == "8-bit":
		return strings.ReplaceAll(v, "-", "")
	}
	return v
}

func isUTF8Charset(cs string) bool {
	switch cs {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return true
	}
	return false
}

// base64Reader decodes base64 the way mail readers do: characters outside
// the alphabet (line breaks, spaces, damage) are skipped, padding may be
// missing or appear mid-stream (concatenated bodies), and a final partial
// group yields the bytes it holds. The URL-safe alphabet is accepted too.
type base64Reader struct {
	r    io.Reader
	in   [3072]byte
	out  []byte
	buf  [2304]byte
	acc  uint32 // pending sextets
	n    int    // how many
	err  error
	done bool
}

func newBase64Reader(r io.Reader) *base64Reader { return &base64Reader{r: r} }

var base64Values = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	t['-'], t['_'] = 62, 63
	return t
}()

func (b *base64Reader) Read(p []byte) (int, error) {
	for len(b.out) == 0 {
		if b.done {
			return 0, b.err
		}
		n, err := b.r.Read(b.in[:])
		out := b.buf[:0]
		for _, c := range b.in[:n] {
			v := base64Values[c]
			if v == 0xff {
				if c == '=' {
					out = b.flush(out)
				}
				continue
			}
			b.acc = b.acc<<6 | uint32(v)
			b.n++
			if b.n == 4 {
				out = append(out, byte(b.acc>>16), byte(b.acc>>8), byte(b.acc))
				b.acc, b.n = 0, 0
			}
		}
		if err != nil {
			out = b.flush(out)
			b.done, b.err = true, err
		}
		b.out = out
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	return n, nil
}

// flush ends a group early (padding or the end of the input), keeping the
// whole bytes its sextets hold.
func (b *base64Reader) flush(out []byte) []byte {
	switch b.n {
	case 2:
		out = append(out, byte(b.acc>>4))
	case 3:
		out = append(out, byte(b.acc>>10), byte(b.acc>>2))
	}
	b.acc, b.n = 0, 0
	return out
}
