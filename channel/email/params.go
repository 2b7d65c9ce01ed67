package email

import (
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/emersion/go-message"
)

// rfc2231Params decodes the extended parameters (name*=charset'lang'value
// and name*0*, name*1... continuations) of a header value in any charset
// go-message knows. It complements mime.ParseMediaType, which drops
// parameters in charsets other than UTF-8 and ASCII.
func rfc2231Params(raw string) map[string]string {
	type piece struct {
		n       int
		encoded bool
		value   string
	}
	pieces := map[string][]piece{}
	for _, p := range splitParams(raw) {
		eq := strings.IndexByte(p, '=')
		if eq <= 0 {
			continue
		}
		key := strings.ToLower(strings.TrimSpace(p[:eq]))
		val := strings.TrimSpace(p[eq+1:])
		if !strings.Contains(key, "*") {
			continue
		}
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = unquote(val[1 : len(val)-1])
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
		pieces[key] = append(pieces[key], piece{n: n, encoded: encoded, value: val})
	}
	out := map[string]string{}
	for key, ps := range pieces {
		sort.Slice(ps, func(i, j int) bool { return ps[i].n < ps[j].n })
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
			v := p.value
			if p.encoded {
				if i == 0 {
					parts := strings.SplitN(v, "'", 3)
					if len(parts) == 3 {
						cs, v = parts[0], parts[2]
					}
				}
				dec, err := url.PathUnescape(v)
				if err != nil {
					dec = v
				}
				pending = append(pending, dec...)
				continue
			}
			flush()
			b.WriteString(v)
		}
		flush()
		out[key] = b.String()
	}
	return out
}

// decodeCharset converts bytes in charset cs to UTF-8; unknown charsets
// keep the valid UTF-8 they contain.
func decodeCharset(cs string, b []byte) string {
	cs = strings.ToLower(strings.TrimSpace(cs))
	if cs == "" || cs == "utf-8" || cs == "us-ascii" || message.CharsetReader == nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	r, err := message.CharsetReader(cs, strings.NewReader(string(b)))
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

// splitParams splits a header value on semicolons outside quoted strings,
// dropping the leading media type.
func splitParams(raw string) []string {
	var out []string
	quoted, escaped, start := false, false, 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\' && quoted:
			escaped = true
		case c == '"':
			quoted = !quoted
		case c == ';' && !quoted:
			out = append(out, raw[start:i])
			start = i + 1
		}
	}
	out = append(out, raw[start:])
	if len(out) > 0 {
		out = out[1:]
	}
	return out
}

func unquote(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
