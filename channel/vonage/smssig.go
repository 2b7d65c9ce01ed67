package vonage

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"mime"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// SignatureMethod is how an SMS API signature is computed, as chosen in
// the Vonage dashboard for the account.
type SignatureMethod string

// The signature methods Vonage offers for SMS API webhooks.
const (
	// MD5Hash is the dashboard default: hex(MD5(S + secret)).
	MD5Hash SignatureMethod = "md5hash"
	// HMACMD5 and the other HMAC methods: hex(HMAC-alg(secret, S)).
	HMACMD5    SignatureMethod = "md5"
	HMACSHA1   SignatureMethod = "sha1"
	HMACSHA256 SignatureMethod = "sha256"
	HMACSHA512 SignatureMethod = "sha512"
)

// DefaultTolerance is how far a webhook's timestamp may be from now, either
// way (inclusive).
const DefaultTolerance = 5 * time.Minute

// hexLen is the length of a signature in hex digits.
func (m SignatureMethod) hexLen() int {
	switch m {
	case MD5Hash, HMACMD5:
		return 32
	case HMACSHA1:
		return 40
	case HMACSHA256:
		return 64
	case HMACSHA512:
		return 128
	}
	return 0
}

// Valid reports whether m is one of the five methods.
func (m SignatureMethod) Valid() bool { return m.hexLen() > 0 }

// ParseSignatureMethod accepts the method names Vonage uses ("md5hash",
// "md5", "sha1", "sha256", "sha512", case-insensitive, "hmac-" prefix
// allowed); "" means MD5Hash, the dashboard default.
func ParseSignatureMethod(s string) (SignatureMethod, error) {
	s = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "hmac-")
	if s == "" {
		return MD5Hash, nil
	}
	m := SignatureMethod(s)
	if !m.Valid() {
		return "", inbox.Invalid("signature_method", fmt.Sprintf("%q is not md5hash, md5, sha1, sha256 or sha512", s))
	}
	return m, nil
}

// SMSParams are the decoded parameters of an SMS API webhook (inbound
// message or delivery receipt), including sig.
type SMSParams map[string]string

// ReadSMSParams collects the parameters of an SMS API webhook the way
// Vonage sends them: the query string, plus the form body of a POST
// (application/x-www-form-urlencoded) or the string and number members of
// a JSON object body. Values are decoded ("+" is a space, %XX a byte); the
// first value of a repeated key wins.
func ReadSMSParams(rawQuery, contentType string, body []byte) (SMSParams, error) {
	p := SMSParams{}
	if rawQuery != "" {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return nil, inbox.Invalid("query", "is not a valid query string")
		}
		addValues(p, q)
	}
	if len(body) == 0 {
		return p, nil
	}
	mediaType, _, _ := mime.ParseMediaType(contentType)
	switch mediaType {
	case "application/json":
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return nil, inbox.Invalid("body", "is not a JSON object")
		}
		for k, raw := range obj {
			var s string
			if err := json.Unmarshal(raw, &s); err == nil {
				p[k] = s
				continue
			}
			var n json.Number
			if err := json.Unmarshal(raw, &n); err == nil {
				p[k] = n.String()
			}
		}
	case "application/x-www-form-urlencoded", "":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, inbox.Invalid("body", "is not a valid form body")
		}
		addValues(p, form)
	default:
		return nil, inbox.Invalid("content-type", fmt.Sprintf("%q is not a form or JSON body", mediaType))
	}
	return p, nil
}

func addValues(p SMSParams, v url.Values) {
	for k, vs := range v {
		if _, ok := p[k]; !ok && len(vs) > 0 {
			p[k] = vs[0]
		}
	}
}

// SignedString is the string Vonage signs: every parameter except sig,
// sorted by key, as "&k1=v1&k2=v2…", with "&" and "=" in values replaced
// by "_".
func (p SMSParams) SignedString() string {
	keys := make([]string, 0, len(p))
	n := 0
	for k, v := range p {
		if k == "sig" {
			continue
		}
		keys = append(keys, k)
		n += len(k) + len(v) + 2
	}
	sort.Strings(keys)
	var b strings.Builder
	b.Grow(n)
	for _, k := range keys {
		b.WriteByte('&')
		b.WriteString(k)
		b.WriteByte('=')
		v := p[k]
		if strings.ContainsAny(v, "&=") {
			v = strings.NewReplacer("&", "_", "=", "_").Replace(v)
		}
		b.WriteString(v)
	}
	return b.String()
}

// SignSMS returns the lower-case hex signature of p under method and
// secret, as Vonage computes it.
func SignSMS(p SMSParams, secret []byte, method SignatureMethod) (string, error) {
	sum, err := smsDigest(p.SignedString(), secret, method)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(sum), nil
}

func smsDigest(signed string, secret []byte, method SignatureMethod) ([]byte, error) {
	var newHash func() hash.Hash
	switch method {
	case MD5Hash:
		h := md5.New()
		h.Write([]byte(signed))
		h.Write(secret)
		return h.Sum(nil), nil
	case HMACMD5:
		newHash = md5.New
	case HMACSHA1:
		newHash = sha1.New
	case HMACSHA256:
		newHash = sha256.New
	case HMACSHA512:
		newHash = sha512.New
	default:
		return nil, inbox.Invalid("signature_method", fmt.Sprintf("%q is not md5hash, md5, sha1, sha256 or sha512", method))
	}
	mac := hmac.New(newHash, secret)
	mac.Write([]byte(signed))
	return mac.Sum(nil), nil
}

// VerifySMS checks an SMS API webhook signed with Vonage's "signed
// webhooks": sig must match the parameters under method and secret
// (hex compared case-insensitively, in constant time), and the timestamp
// parameter (Unix seconds) must be within tolerance of now, inclusive.
// tolerance 0 means DefaultTolerance. The error is a *VerifyError.
func VerifySMS(p SMSParams, secret []byte, method SignatureMethod, now time.Time, tolerance time.Duration) error {
	if len(p) == 0 {
		return verifyErr(CodeEmptyBody, "the request carries no parameters")
	}
	if len(secret) == 0 {
		return verifyErr(CodeInvalidSecret, "no signature secret is configured for this integration")
	}
	if !method.Valid() {
		return verifyErr(CodeInvalidSecret, fmt.Sprintf("signature method %q is not supported", method))
	}
	sig := p["sig"]
	if sig == "" {
		return verifyErr(CodeMissingSignature, "the sig parameter is missing")
	}
	want := method.hexLen()
	if len(sig) != want {
		return verifyErr(CodeMalformedSignature, fmt.Sprintf("sig has %d hex digits, %s needs %d", len(sig), method, want))
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return verifyErr(CodeMalformedSignature, "sig is not hexadecimal")
	}
	ts, ok := p["timestamp"]
	if !ok || ts == "" {
		return verifyErr(CodeMissingTimestamp, "the timestamp parameter is missing")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return verifyErr(CodeMalformedTimestamp, "timestamp is not Unix seconds")
	}
	expected, err := smsDigest(p.SignedString(), secret, method)
	if err != nil {
		return verifyErr(CodeInvalidSecret, err.Error())
	}
	if subtle.ConstantTimeCompare(got, expected) != 1 {
		return verifyErr(CodeBadSignature, "sig does not match the parameters ("+string(method)+")")
	}
	return checkFreshness(time.Unix(sec, 0), now, tolerance, "timestamp")
}

// checkFreshness accepts t within tolerance of now, both bounds inclusive.
func checkFreshness(t, now time.Time, tolerance time.Duration, what string) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	switch d := now.Sub(t); {
	case d > tolerance:
		return verifyErr(CodeTimestampTooOld, fmt.Sprintf("%s is %s old, more than %s", what, d.Truncate(time.Second), tolerance))
	case -d > tolerance:
		return verifyErr(CodeTimestampTooNew, fmt.Sprintf("%s is %s in the future, more than %s", what, (-d).Truncate(time.Second), tolerance))
	}
	return nil
}
