package email

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary bytes to the MIME parser: it must never panic,
// never fail on content (only on I/O), and always return valid UTF-8 and
// safe attachment names.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte("Subject: x\r\n\r\nbody"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n--b"))
	p, err := NewParser(ParseOptions{Tenant: "t", Blobs: newMemBlobs(), MaxParts: 50, MaxDepth: 8, MaxTextBytes: 4096})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := p.Parse(context.Background(), bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("parse failed on content: %v", err)
		}
		in := got.Inbound
		if got.Size != int64(len(raw)) {
			t.Fatalf("size %d, want %d", got.Size, len(raw))
		}
		for _, s := range []string{in.Subject, in.Text, in.HTML, in.From.Name} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %q", s)
			}
		}
		if strings.Contains(strings.ToLower(in.HTML), "<script") {
			t.Fatalf("script survived sanitizing: %q", in.HTML)
		}
		for _, a := range in.Attachments {
			if a.Filename != SanitizeFilename(a.Filename) {
				t.Fatalf("attachment name %q is not sanitized", a.Filename)
			}
		}
	})
}

// FuzzSanitizeFilename checks the filename invariants on any input.
func FuzzSanitizeFilename(f *testing.F) {
	for _, s := range []string{"../../etc/passwd", `..\..\win.ini`, "facture\x00.pdf.exe", "rapport\u202efdp.exe",
		"note\r\nX-Injected: yes.txt", "", ".", "..", " ", strings.Repeat("é", 300) + ".pdf", "C:\\Windows\\hosts"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := SanitizeFilename(name)
		if got == "" || got == "." || got == ".." {
			t.Fatalf("SanitizeFilename(%q) = %q", name, got)
		}
		if strings.ContainsAny(got, `/\`) {
			t.Fatalf("SanitizeFilename(%q) = %q keeps a path separator", name, got)
		}
		if len(got) > maxFilenameBytes || !utf8.ValidString(got) {
			t.Fatalf("SanitizeFilename(%q) = %q: too long or invalid UTF-8", name, got)
		}
		for _, r := range got {
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == '\u202e' || r == '\u200b' {
				t.Fatalf("SanitizeFilename(%q) = %q keeps %U", name, got, r)
			}
		}
		if again := SanitizeFilename(got); again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", name, got, again)
		}
	})
}
