package email

import (
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"github.com/inboxkit/inboxkit/inbox"
)

// headerText returns a header field decoded from RFC 2047 (any charset
// go-message knows), falling back to the raw value when it cannot be
// decoded, with invalid UTF-8 dropped.
func headerText(h message.Header, key string) string {
	v, err := h.Text(key)
	if err != nil {
		v = h.Get(key)
	}
	return strings.ToValidUTF8(strings.TrimSpace(v), "\uFFFD")
}

// addressPattern finds a bare address in a header that does not parse.
var addressPattern = regexp.MustCompile(`[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?`)

// parties parses an address-list header. Well-formed lists go through the
// RFC 5322 parser; a malformed one still yields the addresses it contains,
// so one broken header never loses a sender.
func parties(h message.Header, key string) []inbox.Party {
	raw := h.Get(key)
	if strings.TrimSpace(raw) == "" {
		return nil
	}
	mh := gomail.Header{Header: h}
	list, err := mh.AddressList(key)
	if err == nil {
		out := make([]inbox.Party, 0, len(list))
		for _, a := range list {
			out = append(out, inbox.Party{Name: cleanName(a.Name), Email: inbox.NormalizeEmail(a.Address)})
		}
		return out
	}
	decoded := headerText(h, key)
	var out []inbox.Party
	for _, part := range splitAddressList(decoded) {
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
		out = append(out, inbox.Party{Name: cleanName(name), Email: inbox.NormalizeEmail(addr)})
	}
	return out
}

// splitAddressList splits on commas outside quotes and angle brackets.
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
		case c == ',' && !quoted && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func cleanName(s string) string {
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), `"`))
	return strings.ToValidUTF8(s, "\uFFFD")
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
// many clients send.
func mediaType(raw string) (string, map[string]string) {
	typ, params, err := mime.ParseMediaType(raw)
	if err != nil && typ == "" {
		// Salvage the type of a value with broken parameters.
		typ = strings.ToLower(strings.TrimSpace(strings.SplitN(raw, ";", 2)[0]))
		params = map[string]string{}
	}
	if params == nil {
		params = map[string]string{}
	}
	for k, v := range rfc2231Params(raw) {
		if _, ok := params[k]; !ok {
			params[k] = v
		}
	}
	dec := mime.WordDecoder{CharsetReader: message.CharsetReader}
	for k, v := range params {
		if strings.Contains(v, "=?") {
			if d, err := dec.DecodeHeader(v); err == nil {
				params[k] = d
			}
		}
	}
	return typ, params
}
