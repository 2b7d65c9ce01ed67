package email

import (
	"io"
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
	"golang.org/x/text/encoding/charmap"

	"github.com/inboxkit/inboxkit/inbox"
)

// headerText returns a header field decoded from RFC 2047 (any charset
// go-message knows), falling back to the raw value when it cannot be
// decoded. Raw 8-bit bytes that are not UTF-8 are read in cs, the part's
// declared charset, or as windows-1252 (see eightBitText).
func headerText(h message.Header, key, cs string) string {
	return decodeWords(strings.TrimSpace(eightBitText(h.Get(key), cs)), cs)
}

// wordDecoder decodes RFC 2047 encoded-words in every charset go-message
// knows.
var wordDecoder = mime.WordDecoder{CharsetReader: message.CharsetReader}

// decodeWords decodes the RFC 2047 encoded-words of s, keeping s when they
// cannot be decoded; the result is valid UTF-8 (a word labelled UTF-8 that
// is not is read like raw 8-bit text).
func decodeWords(s, cs string) string {
	if strings.Contains(s, "=?") {
		if d, err := wordDecoder.DecodeHeader(s); err == nil {
			s = d
		}
	}
	return eightBitText(s, cs)
}

// eightBitText makes a raw header value valid UTF-8. Mailers that ignore
// RFC 2047 write headers in the charset of the body: when v is not UTF-8 it
// is decoded in cs, the part's declared charset, when there is one (other
// than UTF-8 or ASCII); otherwise each byte that is not part of a UTF-8
// character is read as windows-1252, the superset of Latin-1 such mailers
// use.
func eightBitText(v, cs string) string {
	if utf8.ValidString(v) {
		return v
	}
	if cs = strings.ToLower(strings.TrimSpace(cs)); cs != "" && !isUTF8Charset(cs) {
		if r, err := message.CharsetReader(cs, strings.NewReader(v)); err == nil && r != nil {
			if b, err := io.ReadAll(r); err == nil {
				return strings.ToValidUTF8(string(b), "\uFFFD")
			}
		}
	}
	var b strings.Builder
	b.Grow(len(v) + len(v)/2)
	for len(v) > 0 {
		r, size := utf8.DecodeRuneInString(v)
		if r == utf8.RuneError && size <= 1 {
			r = charmap.Windows1252.DecodeByte(v[0])
		}
		b.WriteRune(r)
		v = v[size:]
	}
	return b.String()
}

// addressPattern finds a bare address in a header that does not parse.
var addressPattern = regexp.MustCompile(`[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?`)

// parties parses an address-list header (cs as for headerText).
// Well-formed lists go through the RFC 5322 parser; a malformed one still
// yields the addresses it contains, so one broken header never loses a
// sender.
func parties(h message.Header, key, cs string) []inbox.Party {
	raw := eightBitText(h.Get(key), cs)
	if strings.TrimSpace(raw) == "" {
		return nil
	}
	list, err := gomail.ParseAddressList(raw)
	if err == nil {
		out := make([]inbox.Party, 0, len(list))
		for _, a := range list {
			out = append(out, inbox.Party{Name: cleanName(a.Name, cs), Email: inbox.NormalizeEmail(a.Address)})
		}
		return out
	}
	var out []inbox.Party
	for _, part := range splitAddressList(raw) {
		if list, err := gomail.ParseAddressList(part); err == nil {
			for _, a := range list {
				out = append(out, inbox.Party{Name: cleanName(a.Name, cs), Email: inbox.NormalizeEmail(a.Address)})
			}
			continue
		}
		addr := addressPattern.FindString(part)
		if addr == "" {
			continue
		}
		name := part
		if i := strings.Index(name, "<"); i >= 0 {
			name = name[:i]
		} else {
			name = strings.Replace(name, addr, "", 1)
			name = strings.Trim(strings.TrimSpace(name), "()")
		}
		out = append(out, inbox.Party{Name: cleanName(name, cs), Email: inbox.NormalizeEmail(addr)})
	}
	return out
}

// splitAddressList splits on commas, and on the semicolons Outlook
// separates addresses with, outside quotes and angle brackets.
func splitAddressList(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quoted = !quoted
		case c == '<' && !quoted:
			depth++
		case c == '>' && !quoted && depth > 0:
			depth--
		case (c == ',' || c == ';') && !quoted && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// cleanName tidies a display name: quotes off, encoded-words decoded.
func cleanName(s, cs string) string {
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), `"`))
	return strings.ToValidUTF8(decodeWords(s, cs), "\uFFFD")
}

// msgIDPattern matches one <id> token.
var msgIDPattern = regexp.MustCompile(`<([^<>\s]+)>`)

// messageIDs returns the ids of a Message-ID, In-Reply-To or References
// header without angle brackets, in order. Ids without brackets (seen from
// broken mailers) are accepted when no bracketed id is present.
func messageIDs(h message.Header, key string) []string {
	raw := strings.Join(h.Values(key), " ")
	if strings.TrimSpace(raw) == "" {
		return nil
	}
	var ids []string
	for _, m := range msgIDPattern.FindAllStringSubmatch(raw, -1) {
		ids = append(ids, m[1])
	}
	if len(ids) == 0 {
		for _, f := range strings.Fields(raw) {
			if strings.Contains(f, "@") {
				ids = append(ids, strings.Trim(f, "<>,"))
			}
		}
	}
	return ids
}

func firstID(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// parseDate parses an RFC 5322 date, tolerating the usual deviations
// (missing seconds, textual zones, trailing comments) through net/mail.
func parseDate(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	t, err := mail.ParseDate(v)
	if err != nil {
		// Drop a trailing comment such as "(CET)" that net/mail rejects
		// in some positions.
		if i := strings.LastIndex(v, "("); i > 0 {
			t, err = mail.ParseDate(strings.TrimSpace(v[:i]))
		}
		if err != nil {
			return time.Time{}, false
		}
	}
	return t.UTC(), true
}

// receivedDate returns the timestamp of the most recent Received header
// (the topmost), used when the Date header is missing or invalid.
func receivedDate(h message.Header) (time.Time, bool) {
	for _, v := range h.Values("Received") {
		i := strings.LastIndexByte(v, ';')
		if i < 0 {
			continue
		}
		if t, ok := parseDate(v[i+1:]); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

// mediaType parses a Content-Type or Content-Disposition value: RFC 2231
// parameters in any charset (the standard library decodes only UTF-8 and
// ASCII), continuations, and RFC 2047 words inside quoted parameters, which
// many clients send. A value the standard library refuses (raw 8-bit
// names, a missing semicolon, duplicates) is read leniently: the type
// token, then every parameter that can be told apart.
func mediaType(raw string) (string, map[string]string) {
	raw = eightBitText(raw, "")
	typ, params, err := mime.ParseMediaType(raw)
	if err != nil {
		typ, params = lenientMediaType(raw)
	}
	if params == nil {
		params = map[string]string{}
	}
	// The standard library drops the sections of an extended parameter in
	// other charsets and keeps the rest ("commande.pdf" for
	// "Récapitulatif commande.pdf"): these decode every charset.
	for k, v := range rfc2231Params(raw) {
		params[k] = v
	}
	for k, v := range params {
		params[k] = decodeWords(v, "")
	}
	return typ, params
}
