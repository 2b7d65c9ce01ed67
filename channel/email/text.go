package email

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
)

// readLimited reads at most limit bytes of r and reports how many more
// bytes there were, draining them without keeping them in memory.
func readLimited(r io.Reader, limit int) ([]byte, int64, error) {
	var buf bytes.Buffer
	rest, err := readLimitedInto(&buf, r, limit)
	return buf.Bytes(), rest, err
}

// readLimitedInto is readLimited appending to buf.
func readLimitedInto(buf *bytes.Buffer, r io.Reader, limit int) (int64, error) {
	if _, err := buf.ReadFrom(io.LimitReader(r, int64(limit))); err != nil {
		return 0, err
	}
	return io.Copy(io.Discard, r)
}

// textBuffers recycles the buffers text bodies are read into before
// cleanText copies them.
var textBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledTextBuffer bounds the buffers kept for reuse, so one huge
// body does not stay in memory.
const maxPooledTextBuffer = 256 << 10

func putTextBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledTextBuffer {
		return
	}
	b.Reset()
	textBuffers.Put(b)
}

// cleanText turns a decoded text/plain body into the stored text: invalid
// UTF-8 (an undeclared or wrong charset) is read as windows-1252, the BOM
// and NUL bytes are removed, line endings become "\n", and format=flowed
// soft breaks are joined (RFC 3676).
func cleanText(b []byte, flowed, delSp bool) string {
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	s := string(b)
	if !utf8.ValidString(s) {
		s = decodeCharset("windows-1252", b)
	}
	s = strings.TrimPrefix(s, "\uFEFF")
	s = strings.ReplaceAll(s, "\x00", "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if flowed {
		s = unflow(s, delSp)
	}
	return s
}

// unflow joins format=flowed lines: a line ending in a space continues on
// the next one, except the signature separator "-- ".
func unflow(s string, delSp bool) string {
	lines := strings.Split(s, "\n")
	var b strings.Builder
	for i, l := range lines {
		quote := 0
		for quote < len(l) && l[quote] == '>' {
			quote++
		}
		body := l[quote:]
		body = strings.TrimPrefix(body, " ") // space-stuffing
		if quote > 0 {
			b.WriteString(strings.Repeat(">", quote) + " ")
		}
		soft := strings.HasSuffix(body, " ") && body != "-- " && i < len(lines)-1
		if soft && delSp {
			body = strings.TrimSuffix(body, " ")
		}
		b.WriteString(body)
		if !soft {
			b.WriteByte('\n')
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// truncationNotice is appended to text cut at the size limit.
func truncationNotice(omitted int64) string {
	return fmt.Sprintf("\n\n[message text truncated: %d more bytes are in the original message]", omitted)
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// isUndecoded reports a part whose transfer encoding or charset is
// unknown; its bytes are then read as they are.
func isUndecoded(err error) bool {
	var u errUndecoded
	return errors.As(err, &u)
}
