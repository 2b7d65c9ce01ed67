package email

import (
	"bytes"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/emersion/go-message"
)

// rfc2231Params decodes the extended parameters (name*=charset'lang'value
// and name*0*, name*1... continuations, encoded or not, in any order) of a
// header value in any charset go-message knows.
func rfc2231Params(raw string) map[string]string {
	type piece struct {
		n       int
		encoded bool
		value   string
	}
	pieces := map[string][]piece{}
	_, rest := cutMediaType(raw)
	for _, p := range paramList(rest) {
		key := p.key
		if !strings.Contains(key, "*") {
			continue
		}
		encoded := strings.HasSuffix(key, "*")
		key = strings.TrimSuffix(key, "*")
		n := 0
		if i := strings.IndexByte(key, '*'); i >= 0 {
			num, err := strconv.Atoi(key[i+1:])
			if err != nil || num < 0 || num > 999 {
				continue
			}
			key, n = key[:i], num
		}
		pieces[key] = append(pieces[key], piece{n: n, encoded: encoded, value: p.value})
	}
	out := map[string]string{}
	for key, ps := range pieces {
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].n < ps[j].n })
		cs := ""
		var b strings.Builder
		var pending []byte // percent-decoded bytes awaiting charset conversion
		flush := func() {
			if len(pending) > 0 {
				b.WriteString(decodeCharset(cs, pending))
				pending = pending[:0]
			}
		}
		for i, p := range ps {
			if i > 0 && p.n == ps[i-1].n {
				continue // a repeated section: the first counts
			}
			v := p.value
			if !p.encoded {
				flush()
				b.WriteString(v)
				continue
			}
			if p.n == 0 {
				// charset'language'value
				if parts := strings.SplitN(v, "'", 3); len(parts) == 3 {
					cs, v = parts[0], parts[2]
				}
			}
			dec, err := url.PathUnescape(v)
			if err != nil {
				dec = v
			}
			pending = append(pending, dec...)
		}
		flush()
		out[key] = b.String()
	}
	return out
}

// lenientMediaType reads a media type or disposition value the standard
// library refuses: the leading type token, then the parameters paramList
// finds (the first of repeated ones).
func lenientMediaType(raw string) (string, map[string]string) {
	typ, rest := cutMediaType(raw)
	params := map[string]string{}
	for _, p := range paramList(rest) {
		if _, ok := params[p.key]; !ok && !strings.Contains(p.key, "*") {
			params[p.key] = p.value
		}
	}
	return typ, params
}

// cutMediaType splits a header value into its type token (lower case, ""
// when the value starts with a parameter) and the rest.
func cutMediaType(raw string) (typ, rest string) {
	s := strings.TrimLeft(raw, " \t\r\n")
	i := strings.IndexAny(s, " \t\r\n;\",=")
	if i < 0 {
		return strings.ToLower(s), ""
	}
	if s[i] == '=' {
		return "", s
	}
	return strings.ToLower(s[:i]), s[i:]
}

// param is one name=value of a header value, the value unquoted.
type param struct{ key, value string }

// paramList reads the parameters of a header value after its type: pairs
// separated by semicolons, or only by blanks when a sender forgot them;
// values quoted (with backslash escapes, an unclosed quote running to the
// end) or not (then running to the next semicolon, or to blanks before
// the next name=, so raw 8-bit and spaces stay in the value). Text that is
// no parameter is skipped.
func paramList(s string) []param {
	var out []param
	for i := 0; i < len(s); {
		for i < len(s) && strings.IndexByte(" \t\r\n;,", s[i]) >= 0 {
			i++
		}
		start := i
		for i < len(s) && strings.IndexByte(" \t\r\n;=\"", s[i]) < 0 {
			i++
		}
		key := strings.ToLower(s[start:i])
		j := skipBlanks(s, i)
		if key == "" || j >= len(s) || s[j] != '=' {
			if i == start && i < len(s) {
				i++ // a stray quote or equals sign
			}
			continue
		}
		i = skipBlanks(s, j+1)
		p := param{key: key}
		if i < len(s) && s[i] == '"' {
			var b strings.Builder
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			i++
			p.value = b.String()
		} else {
			start := i
			for i < len(s) && s[i] != ';' && !(isBlank(s[i]) && startsParam(s[i:])) {
				i++
			}
			p.value = strings.TrimSpace(s[start:i])
		}
		out = append(out, p)
	}
	return out
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func skipBlanks(s string, i int) int {
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	return i
}

// startsParam reports whether s, after blanks, starts with "name=".
func startsParam(s string) bool {
	i := skipBlanks(s, 0)
	start := i
	for i < len(s) && strings.IndexByte(" \t\r\n;=\"", s[i]) < 0 {
		i++
	}
	return i > start && skipBlanks(s, i) < len(s) && s[skipBlanks(s, i)] == '='
}

// decodeCharset converts bytes in charset cs to UTF-8. Without a charset,
// for UTF-8 and for charsets go-message does not know, valid UTF-8 is kept
// and other bytes are read as windows-1252.
func decodeCharset(cs string, b []byte) string {
	if cs = strings.ToLower(strings.TrimSpace(cs)); cs != "" && !isUTF8Charset(cs) {
		if r, err := message.CharsetReader(cs, bytes.NewReader(b)); err == nil && r != nil {
			if out, err := io.ReadAll(r); err == nil {
				return strings.ToValidUTF8(string(out), "\uFFFD")
			}
		}
	}
	return eightBitText(string(b), "")
}
