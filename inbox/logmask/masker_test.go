package logmask_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox/logmask"
)

func TestMaskerString(t *testing.T) {
	m := logmask.NewMasker(logmask.Options{})
	for _, tc := range []struct{ name, in, want string }{
		{"nothing", "imap sync: fetched 12 messages in 340ms", "imap sync: fetched 12 messages in 340ms"},
		{"date and ids stay", "order #12345 on 2024-03-26 07:07:30 uid 4294967295:1200", "order #12345 on 2024-03-26 07:07:30 uid 4294967295:1200"},
		{"email", "from claire.dubois@courriel.example to support@maison-lumiere.example",
			"from c***@courriel.example to s***@maison-lumiere.example"},
		{"intl phone", "call +33 6 12 34 56 78 now", "call +** * ** ** ** 78 now"},
		{"e164", "sms from +33612345678", "sms from +*********78"},
		{"00 prefix", "tel 0033612345678", "tel ***********78"},
		{"french national", "rappeler au 06 12 34 56 78 ou 06.12.34.56.78 ou 0612345678",
			"rappeler au ** ** ** ** 78 ou **.**.**.**.78 ou ********78"},
		{"bearer", "GET /v1 with Bearer abc.DEF-123_xyz~+/= ok", "GET /v1 with Bearer [redacted] ok"},
		{"authorization header", "Authorization: Basic dXNlcjpwYXNz", "Authorization: [redacted]"},
		{"authorization json", `{"authorization":"Token abcdef"}`, `{"authorization":"[redacted]"}`},
		{"jwt", "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nat_ure here",
			"token [redacted] here"},
		{"openai key", "using sk-proj-AbCdEf0123456789AbCdEf0123", "using [redacted]"},
		{"aws key", "AKIAIOSFODNN7EXAMPLE", "[redacted]"},
		{"password pair", "login failed password=Tr0ub4dor&3 user=claire", "login failed password=[redacted] user=claire"},
		{"quoted pair", `api_key: "abc def"`, `api_key: "[redacted]"`},
		{"query sig", "/hook?ts=1&sig=deadbeef&x=1", "/hook?ts=1&sig=[redacted]"},
		{"json secret", `{"api_secret":"a1B2c3D4"}`, `{"api_secret":"[redacted]"}`},
		{"url password", "dial postgres://inbox:S3cretPg@db.internal:5432/inbox",
			"dial postgres://inbox:[redacted]@db.internal:5432/inbox"},
		{"design is not sig", "design=lamp", "design=lamp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, m.String(tc.in))
		})
	}
}

func TestMaskerOptions(t *testing.T) {
	m := logmask.NewMasker(logmask.Options{
		Disable:     logmask.MaskPhones,
		Email:       func(string) string { return "<email>" },
		Patterns:    []*regexp.Regexp{regexp.MustCompile(`CRM-\d{6}`)},
		PhoneDigits: 4,
	})
	require.Equal(t, "<email> +33612345678 [redacted]", m.String("a@b.example +33612345678 CRM-123456"))
	require.False(t, m.PhoneKey("msisdn"))

	four := logmask.NewMasker(logmask.Options{PhoneDigits: 9})
	require.Equal(t, "+*******5678", four.String("+33612345678"))
	require.Equal(t, "*******5678", four.PhoneValue("33612345678"))
	require.Equal(t, "****", four.PhoneValue("1234"), "short numbers are fully masked")
	require.Equal(t, "c***@x.example", four.PhoneValue("claire@x.example"))

	none := logmask.NewMasker(logmask.Options{Disable: logmask.MaskEmails | logmask.MaskPhones | logmask.MaskTokens | logmask.MaskKeys})
	in := "claire@x.example Bearer abc +33612345678"
	require.Equal(t, in, none.String(in))
	require.False(t, none.SensitiveKey("password"))
}

func TestSensitiveKeys(t *testing.T) {
	m := logmask.NewMasker(logmask.Options{SensitiveKeys: []string{"iban"}, AllowKeys: []string{"prompt_tokens"}})
	for _, k := range []string{"password", "IMAP_Password", "smtp.pass", "secret", "api_secret", "apiKey", "API-Key",
		"token", "access_token", "authorization", "Cookie", "set-cookie", "sig", "signature", "x-signature", "pwd",
		"client_secret", "private_key", "credentials", "iban", "customer_iban", "imap-pwd", "X-Hub-Sig"} {
		require.True(t, m.SensitiveKey(k), k)
	}
	for _, k := range []string{"design", "host", "user", "subject", "prompt_tokens", "monkey", "keyboard", "signal", "blob_key", "passed", "compass", ""} {
		require.False(t, m.SensitiveKey(k), k)
	}
	for _, k := range []string{"phone", "msisdn", "to", "from", "mobile_number", "tel"} {
		require.True(t, m.PhoneKey(k), k)
	}
	require.False(t, m.PhoneKey("total"))
}

func BenchmarkMaskerStringClean(b *testing.B) {
	m := logmask.NewMasker(logmask.Options{})
	s := "imap sync finished: fetched 12 messages, 3 new conversations, cursor advanced"
	b.ReportAllocs()
	for b.Loop() {
		if m.String(s) != s {
			b.Fatal("changed")
		}
	}
}

func BenchmarkMaskerStringSecrets(b *testing.B) {
	m := logmask.NewMasker(logmask.Options{})
	s := "reply to claire.dubois@courriel.example (+33 6 12 34 56 78) failed: Authorization: Bearer abc.def password=x"
	b.ReportAllocs()
	for b.Loop() {
		if !strings.Contains(m.String(s), "[redacted]") {
			b.Fatal("not masked")
		}
	}
}
