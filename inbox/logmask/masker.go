package logmask

import (
	"regexp"
	"strings"
	"sync"
)

// Redacted replaces a masked secret.
const Redacted = "[redacted]"

// textRule rewrites every match of re in a string.
type textRule struct {
	mask    Mask
	re      *regexp.Regexp
	replace func(m *Masker, match []string) string
	// trigger says, from a cheap scan, whether re could match at all; the
	// zero trigger always runs re.
	trigger trigger
}

// The built-in rules, in the order they apply: credentials first, so an
// email inside a URL password or a token is not half-masked.
var builtinRules = []textRule{
	// Authorization: Basic dXNlcjpwYXNz / Proxy-Authorization=Bearer x
	{MaskTokens, regexp.MustCompile(`(?i)\b((?:proxy-)?authorization)("?\s*[:=]\s*"?)(?:[a-z]+\s+)?[^\s",;]+`),
		func(_ *Masker, g []string) string { return g[1] + g[2] + Redacted }, trigger{words: []string{"authorization"}}},
	// Bearer tokens anywhere.
	{MaskTokens, regexp.MustCompile(`(?i)\b(bearer)\s+[a-z0-9\-._~+/]+=*`),
		func(_ *Masker, g []string) string { return g[1] + " " + Redacted }, trigger{words: []string{"bearer"}}},
	// JSON Web Tokens (header.payload.signature, base64url).
	{MaskTokens, regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`),
		func(_ *Masker, _ []string) string { return Redacted }, trigger{words: []string{"eyj"}}},
	// Well-known API key formats (OpenAI, Stripe, Slack, GitHub, AWS, Google).
	{MaskTokens, regexp.MustCompile(`\b(?:sk-(?:proj-)?[A-Za-z0-9_-]{16,}|[sr]k_(?:live|test)_[A-Za-z0-9]{10,}|xox[abprs]-[A-Za-z0-9-]{10,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35})`),
		func(_ *Masker, _ []string) string { return Redacted }, trigger{words: []string{"sk-", "sk_", "rk_", "xox", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "akia", "aiza"}}},
	// password=..., "api_key": "...", ?sig=..., token: ... An unquoted
	// value runs to the next space: passwords contain '&' and ',', and
	// masking a following query parameter is the lesser harm. The keyword
	// must start the key or follow a separator ("api_secret" yes,
	// "design" no); the character before it is group 1 because Go's
	// expressions have no look-behind.
	//
	// Values that cannot be secrets stay: words that say a credential is
	// absent or checked ("none", "ok", "valid"...) whatever the keyword,
	// and, after the keywords that also name ordinary things (a second
	// "pass", a "token" count, a "sig" check), numbers of up to three
	// digits. Passwords and keys are masked whatever their value.
	{MaskTokens, regexp.MustCompile(`(?i)(^|[^a-z0-9])(password|passwd|pwd|pass|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|sig|signature|credentials?|session[_-]?id|cookie)("?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s"'<>]+)`),
		func(_ *Masker, g []string) string {
			if notSecret(g[4]) || (ambiguousKeyword(g[2]) && smallNumber(g[4])) {
				return g[0]
			}
			return g[1] + g[2] + g[3] + requote(g[4], Redacted)
		}, trigger{words: []string{"pass", "pwd", "secret", "token", "key", "sig", "credential", "session", "cookie"}}},
	// scheme://user:password@host (starting at the literal "://" lets the
	// expression skip ahead instead of trying every position).
	{MaskTokens, regexp.MustCompile(`://([^\s/:@]*):[^\s/@]+@`),
		func(_ *Masker, g []string) string { return "://" + g[1] + ":" + Redacted + "@" }, trigger{at: true, words: []string{"://"}}},
	// Email addresses. '*' is accepted in the local part so an address
	// masked once is recognised, and left alone, by a second pass.
	{MaskEmails, regexp.MustCompile(`[A-Za-z0-9._%+\-*]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`),
		func(m *Masker, g []string) string { return m.email(g[0]) }, trigger{at: true}},
	// International numbers (+33 6 12 34 56 78, 0033612345678) and French
	// national ones (06 12 34 56 78, 06.12.34.56.78, 0612345678). The
	// replacement leaves runs of fewer than 8 digits alone (10 after "00",
	// whose country code never starts with 0: zero-padded ids such as
	// 00000017 are not numbers) and masks longer runs (several numbers in
	// a row) whole. Group 1 is the character before, so digits joined to
	// a word by '-' ("int-0123456789") or following '#' stay: they are ids.
	// (Go's expressions have no look-behind.)
	{MaskPhones, regexp.MustCompile(`(^|[0-9A-Za-z_]-|#|[^0-9A-Za-z_])((?:\+\d|00[1-9])[\d .\-()]*\d\b|0[1-9](?:[ .\-]?\d{2}){4}\b)`),
		func(m *Masker, g []string) string { return g[1] + m.phoneMatch(g[1], g[2]) }, trigger{phone: true}},
}

// builtinSensitiveKeys mask the whole value of an attribute whose
// normalised key contains one of them.
var builtinSensitiveKeys = []string{
	"password", "passwd", "passphrase", "secret", "token", "apikey", "accesskey", "privatekey",
	"authorization", "cookie", "credential", "signature", "sessionid", "bearer",
}

// builtinExactSensitiveKeys are too short to match inside other words
// ("design" contains "sig"), so they match a whole key or one of its
// '-', '_', '.' or space separated parts ("smtp.pass").
var builtinExactSensitiveKeys = []string{"pwd", "pass", "sig", "auth", "jwt", "otp", "pin", "sid"}

// builtinPhoneKeys hold phone numbers; Vonage writes them without "+"
// under "msisdn", "to" and "from", where no text pattern could tell them
// from other numbers.
var builtinPhoneKeys = []string{"phone", "msisdn", "mobile", "telephone", "tel", "to", "from", "fax"}

// phoneValue recognises a value under a phone key that is a number;
// datePattern tells a date ("from"/"to" of a range) from one.
var (
	phoneValue  = regexp.MustCompile(`^\s*\+?[\d\s().\-]{1,32}\s*$`)
	datePattern = regexp.MustCompile(`^\s*(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4})\s*$`)
)

// Masker masks secrets and personal data in text. Its rules are fixed at
// creation; it is safe for concurrent use.
type Masker struct {
	keysMu      sync.RWMutex
	keys        map[string]keyClass
	rules       []textRule
	words       *wordIndex
	email       func(string) string
	phoneDigits int
	sensitive   []string
	exact       map[string]bool
	phoneKeys   []string
	phoneExact  map[string]bool
	allow       map[string]bool
	maskKeys    bool
	maskPhones  bool
}

// NewMasker compiles opts into a Masker.
func NewMasker(opts Options) *Masker {
	m := &Masker{
		keys:        make(map[string]keyClass),
		email:       opts.Email,
		phoneDigits: opts.PhoneDigits,
		exact:       make(map[string]bool),
		phoneExact:  make(map[string]bool),
		allow:       make(map[string]bool),
		maskKeys:    opts.Disable&MaskKeys == 0,
		maskPhones:  opts.Disable&MaskPhones == 0,
	}
	if m.email == nil {
		m.email = defaultEmail
	}
	switch {
	case m.phoneDigits <= 0:
		m.phoneDigits = 2
	case m.phoneDigits > 4:
		m.phoneDigits = 4
	}
	for _, r := range builtinRules {
		if opts.Disable&r.mask == 0 {
			m.rules = append(m.rules, r)
		}
	}
	for _, re := range opts.Patterns {
		if re == nil {
			continue
		}
		m.rules = append(m.rules, textRule{re: re, replace: func(*Masker, []string) string { return Redacted }})
	}
	if len(m.rules) > 64 {
		// Trigger words are tracked in a 64-bit set; later rules always run.
		for i := 64; i < len(m.rules); i++ {
			m.rules[i].trigger = trigger{}
		}
	}
	m.words = newWordIndex(m.rules[:min(len(m.rules), 64)])
	m.sensitive = append(m.sensitive, builtinSensitiveKeys...)
	for _, k := range builtinExactSensitiveKeys {
		m.exact[k] = true
	}
	for _, k := range opts.SensitiveKeys {
		if k = normalizeKey(k); k != "" {
			m.sensitive = append(m.sensitive, k)
		}
	}
	for _, k := range builtinPhoneKeys {
		if k = normalizeKey(k); len(k) <= 3 {
			m.phoneExact[k] = true
		} else {
			m.phoneKeys = append(m.phoneKeys, k)
		}
	}
	for _, k := range opts.PhoneKeys {
		if k = normalizeKey(k); k != "" {
			m.phoneKeys = append(m.phoneKeys, k)
		}
	}
	for _, k := range opts.AllowKeys {
		m.allow[normalizeKey(k)] = true
	}
	return m
}

// String masks every secret and personal datum in s. Text with nothing to
// mask is recognised by one cheap scan and returned as is.
func (m *Masker) String(s string) string {
	var buf [scanBuffer]byte
	f := newScan(s, buf[:0])
	m.words.find(&f)
	for i, r := range m.rules {
		if !f.fires(i, r.trigger) {
			continue
		}
		if masked := m.replaceAll(r, s); masked != s {
			s = masked
			f = newScan(s, buf[:0])
			m.words.find(&f)
		}
	}
	return s
}

// replaceAll rewrites every match of r in s, giving the replacement the
// match's groups.
func (m *Masker) replaceAll(r textRule, s string) string {
	locs := r.re.FindAllStringSubmatchIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, loc := range locs {
		groups := make([]string, len(loc)/2)
		for i := range groups {
			if loc[2*i] >= 0 {
				groups[i] = s[loc[2*i]:loc[2*i+1]]
			}
		}
		b.WriteString(s[last:loc[0]])
		b.WriteString(r.replace(m, groups))
		last = loc[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// SensitiveKey reports whether an attribute named key has its whole value
// masked.
func (m *Masker) SensitiveKey(key string) bool { return m.classify(key)&keySensitive != 0 }

// PhoneKey reports whether an attribute named key holds a phone number.
func (m *Masker) PhoneKey(key string) bool { return m.classify(key)&keyPhone != 0 }

// keyClass caches what an attribute key means.
type keyClass uint8

const (
	keySensitive keyClass = 1 << iota
	keyPhone
)

// maxCachedKeys bounds the key cache: loggers use a small set of keys, but
// keys built from data (map keys) must not grow it forever.
const maxCachedKeys = 4096

// classify returns the class of key, from the cache when possible.
func (m *Masker) classify(key string) keyClass {
	m.keysMu.RLock()
	c, ok := m.keys[key]
	m.keysMu.RUnlock()
	if ok {
		return c
	}
	if m.sensitiveKey(key) {
		c |= keySensitive
	}
	if m.phoneKey(key) {
		c |= keyPhone
	}
	m.keysMu.Lock()
	if len(m.keys) < maxCachedKeys {
		m.keys[key] = c
	}
	m.keysMu.Unlock()
	return c
}

func (m *Masker) sensitiveKey(key string) bool {
	if !m.maskKeys {
		return false
	}
	k := normalizeKey(key)
	if k == "" || m.allow[k] || describesCredential(k) {
		return false
	}
	if m.exact[k] {
		return true
	}
	for part := range strings.FieldsFuncSeq(key, isKeySeparator) {
		if m.exact[strings.ToLower(part)] {
			return true
		}
	}
	for _, s := range m.sensitive {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

func (m *Masker) phoneKey(key string) bool {
	if !m.maskPhones {
		return false
	}
	k := normalizeKey(key)
	if k == "" || m.allow[k] {
		return false
	}
	if m.phoneExact[k] {
		return true
	}
	for _, s := range m.phoneKeys {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// PhoneValue masks the value of an attribute under a phone key: a phone
// number keeps its last PhoneDigits digits, anything else goes through
// String.
// A date ("from"/"to" of a range) is not a number: it goes through String.
func (m *Masker) PhoneValue(s string) string {
	if phoneValue.MatchString(s) && !datePattern.MatchString(s) {
		return m.phone(s)
	}
	return m.String(s)
}

// phoneMatch masks a phone-shaped match that holds at least 8 digits (10
// when it starts with "00"), unless what comes before it makes it part
// of an identifier: before is the text of the match ahead of s.
func (m *Masker) phoneMatch(before, s string) string {
	min := 8
	if strings.HasPrefix(s, "00") {
		min = 10
	}
	if digitCount(s) < min || partOfID(before) {
		return s
	}
	return m.phone(s)
}

// partOfID reports whether a number after before (the character ahead
// of it, two when the first is joined to a word by '-') continues an
// identifier: "int-0123456789", "#0612345678".
func partOfID(before string) bool {
	return before == "#" || len(before) == 2
}

func digitCount(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			n++
		}
	}
	return n
}

func (m *Masker) phone(s string) string {
	digits := digitCount(s)
	keep := m.phoneDigits
	if digits <= keep+4 {
		keep = 0 // too short to show anything safely
	}
	b := []byte(s)
	seen := 0
	for i, c := range b {
		if '0' <= c && c <= '9' {
			seen++
			if seen <= digits-keep {
				b[i] = '*'
			}
		}
	}
	return string(b)
}

// defaultEmail keeps the first character and the domain.
func defaultEmail(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return Redacted
	}
	if at == 4 && addr[1:4] == "***" {
		return addr // already masked
	}
	return addr[:1] + "***" + addr[at:]
}

func isKeySeparator(r rune) bool { return r == '-' || r == '_' || r == '.' || r == ' ' }

// requote wraps replacement in the quotes value had, so masked JSON and
// quoted pairs stay well-formed.
func requote(value, replacement string) string {
	if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') {
		return value[:1] + replacement + value[:1]
	}
	return replacement
}

// normalizeKey lowercases key and drops '-', '_', '.' and spaces, so
// "API-Key", "api_key" and "apiKey" compare equal.
func normalizeKey(key string) string {
	var b strings.Builder
	b.Grow(len(key))
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c == '-' || c == '_' || c == '.' || c == ' ':
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// notSecretValues say that a credential is absent, hidden or checked;
// they are not credentials themselves.
var notSecretValues = map[string]bool{
	"": true, "none": true, "null": true, "nil": true, "<nil>": true, "redacted": true, "[redacted]": true,
	"true": true, "false": true, "yes": true, "no": true, "ok": true, "valid": true, "invalid": true,
	"missing": true, "empty": true, "set": true, "unset": true, "present": true, "absent": true,
	"required": true, "optional": true, "expired": true, "found": true, "accepted": true, "rejected": true,
}

// notSecret reports whether a value, quoted or not, and without the
// punctuation that ends a clause, is one of notSecretValues.
func notSecret(value string) bool {
	if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
		value = value[1 : len(value)-1]
	} else {
		value = strings.TrimRight(value, ",;.)]}")
	}
	return notSecretValues[strings.ToLower(strings.TrimSpace(value))]
}

// descriptorSuffixes end keys that describe a credential rather than
// hold one: "auth_method", "token_type", "secret_count", "tokens_left",
// "credential_check", "auth_url".
var descriptorSuffixes = []string{
	"method", "type", "mode", "scheme", "kind", "provider", "status", "state", "check", "checked",
	"result", "url", "uri", "endpoint", "enabled", "required", "policy", "name",
	"count", "total", "lines", "length", "len", "size", "left", "remaining", "used", "budget", "limit",
	"expiry", "expires", "expiresat", "expiresin", "ttl", "age",
}

// describesCredential reports whether a normalised key names a property
// of a credential: a sensitive word followed by a descriptor suffix.
func describesCredential(k string) bool {
	for _, s := range descriptorSuffixes {
		if len(k) > len(s) && strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

// countKey reports whether a normalised key names a number of tokens
// ("prompt_tokens", "max_tokens"): its numbers are counts.
func countKey(k string) bool { return strings.HasSuffix(k, "tokens") }

// ambiguousKeyword reports whether a credential keyword of the text rules
// also names ordinary things: a "pass" of a job, a "token" count, a "sig"
// check, a "secret" found or not, a "cookie" banner, a "session" number.
func ambiguousKeyword(k string) bool {
	switch strings.ToLower(k) {
	case "pass", "token", "sig", "signature", "secret", "credential", "credentials", "cookie":
		return true
	}
	return false
}

// smallNumber reports whether value is a number of at most three digits,
// too short to be a one-time code or a key.
func smallNumber(value string) bool {
	if value == "" || len(value) > 3 {
		return false
	}
	for i := 0; i < len(value); i++ {
		if value[i] < '0' || value[i] > '9' {
			return false
		}
	}
	return true
}
