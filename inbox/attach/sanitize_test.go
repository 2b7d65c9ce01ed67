package attach_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox/attach"
	"github.com/inboxkit/inboxkit/internal/corpus"
)

type corpusCase struct {
	File   string `json:"file"`
	Expect struct {
		Attachments        []corpusAttachment `json:"attachments"`
		FilenameInvariants []string           `json:"filename_invariants"`
	} `json:"expect"`
}

type corpusAttachment struct {
	Filename     *string `json:"filename"`
	RawFilename  *string `json:"raw_filename"`
	ContentType  string  `json:"content_type"`
	Size         *int64  `json:"size"`
	SHA256       string  `json:"sha256"`
	SniffedKind  string  `json:"sniffed_kind"`
	TypeMismatch bool    `json:"type_mismatch"`
}

func loadManifest(t *testing.T) (dir string, cases []corpusCase) {
	t.Helper()
	dir = corpus.MailDir(t)
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &cases))
	return dir, cases
}

// requireInvariants checks the manifest's filename_invariants.
func requireInvariants(t *testing.T, name string) {
	t.Helper()
	require.NotContains(t, name, "/")
	require.NotContains(t, name, `\`)
	require.NotContains(t, []string{"", ".", ".."}, name)
	require.True(t, utf8.ValidString(name))
	require.LessOrEqual(t, len(name), attach.MaxFilenameBytes)
	for _, r := range name {
		require.False(t, unicode.Is(unicode.Cc, r), "control character %U in %q", r, name)
		require.False(t, unicode.Is(unicode.Cf, r), "format character %U in %q", r, name)
	}
}

func TestSanitizeFilenameMatchesManifest(t *testing.T) {
	checked := 0
	_, cases := loadManifest(t)
	for _, c := range cases {
		for _, a := range c.Expect.Attachments {
			if a.Filename == nil {
				continue // message/rfc822 parts carry no name
			}
			raw := *a.Filename
			if a.RawFilename != nil {
				raw = *a.RawFilename
			}
			got := attach.SanitizeFilename(raw)
			require.Equal(t, *a.Filename, got, "%s: %q", c.File, raw)
			requireInvariants(t, got)
			checked++
		}
	}
	require.GreaterOrEqual(t, checked, 20)
}

func TestSanitizeFilename(t *testing.T) {
	long := strings.Repeat("é", 200) // 400 bytes
	for _, tc := range []struct{ in, want string }{
		{"facture.pdf", "facture.pdf"},
		{"../../etc/passwd", "passwd"},
		{`..\..\win.ini`, "win.ini"},
		{`C:\Windows\System32\drivers\etc\hosts`, "hosts"},
		{"dir/", "attachment"},
		{"  spaced name.txt  ", "spaced name.txt"},
		{"", "attachment"},
		{".", "attachment"},
		{"..", "attachment"},
		{"a/..", "attachment"},
		{"\x00\x01\x7f", "attachment"},
		{"zero\u200bwidth\ufeff.txt", "zerowidth.txt"},
		{"bidi\u202egpj.exe", "bidigpj.exe"},
		{"c1\u0085ctrl.txt", "c1ctrl.txt"},
		{"bad\xffutf8.txt", "bad\uFFFDutf8.txt"},
		{"CON", "_CON"},
		{"con.txt", "_con.txt"},
		{"Nul.tar.gz", "_Nul.tar.gz"},
		{"COM1.pdf", "_COM1.pdf"},
		{"lpt9", "_lpt9"},
		{"COM10.pdf", "COM10.pdf"},
		{"CONSOLE.txt", "CONSOLE.txt"},
		{".bashrc", ".bashrc"},
		{long + ".pdf", strings.Repeat("é", 125) + ".pdf"},
		{strings.Repeat("a", 300), strings.Repeat("a", 255)},
		{strings.Repeat("é", 127) + "\xc3  000", strings.Repeat("é", 127)},
		{"CON" + strings.Repeat(" ", 300) + "x", "_CON"},
		{"." + strings.Repeat(" ", 300) + "x", "attachment"},
		{"CON." + strings.Repeat("x", 300), "_CON." + strings.Repeat("x", 250)},
		{strings.Repeat("a", 300) + "." + strings.Repeat("b", 40), strings.Repeat("a", 255)},
	} {
		got := attach.SanitizeFilename(tc.in)
		require.Equal(t, tc.want, got, "%q", tc.in)
		requireInvariants(t, got)
	}
}

func TestNoLeadingDotOption(t *testing.T) {
	opts := attach.Options{NoLeadingDot: true}
	for in, want := range map[string]string{
		".bashrc":              "bashrc",
		"..%2F..%2Fsecret.txt": "%2F..%2Fsecret.txt",
		". .":                  "attachment",
		"...CON.txt":           "_CON.txt",
		"plain.txt":            "plain.txt",
	} {
		res, _ := attach.Validate(t.Context(), in, "text/plain", strings.NewReader("x"), opts)
		require.Equal(t, want, res.Attachment.Filename, in)
	}
}
