package email

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/inboxkit/inboxkit/inbox/attach"
	"github.com/inboxkit/inboxkit/internal/corpus"
)

// FuzzParse feeds arbitrary bytes to the MIME parser: it must never panic,
// never fail on content (only on I/O), and always return valid UTF-8 and
// safe attachment names.
func FuzzParse(f *testing.F) {
	var files []string
	if dir, err := corpus.Dir(); err == nil {
		files, _ = filepath.Glob(filepath.Join(dir, "mail", "*.eml"))
	}
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
			if a.Filename != attach.SanitizeFilename(a.Filename) {
				t.Fatalf("attachment name %q is not sanitized", a.Filename)
			}
		}
	})
}

// FuzzAttachmentName puts arbitrary names in every header form a name can
// take (RFC 2231 extended and continued, RFC 2047 in a quoted parameter,
// Content-Type name) and checks that what reaches the Attachment is a
// safe display name.
func FuzzAttachmentName(f *testing.F) {
	for _, s := range []string{"../../etc/passwd", `..\..\win.ini`, "facture\x00.pdf.exe", "rapport\u202efdp.exe",
		"note\r\nX-Injected: yes.txt", "", ".", "..", " ", strings.Repeat("é", 300) + ".pdf", "C:\\Windows\\hosts", "%2e%2e%2fx"} {
		f.Add(s)
	}
	p, err := NewParser(ParseOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name string) {
		pct := url.PathEscape(name)
		forms := []string{
			"attachment; filename*=utf-8''" + pct,
			"attachment; filename*0*=utf-8''" + pct + "; filename*1=x",
			"attachment; filename=\"=?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte(name)) + "?=\"",
		}
		for _, disp := range forms {
			raw := "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
				"Content-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/octet-stream\r\n" +
				"Content-Disposition: " + disp + "\r\n\r\ndata\r\n--b--\r\n"
			got, err := p.Parse(context.Background(), strings.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range got.Inbound.Attachments {
				n := a.Filename
				if n == "" || n == "." || n == ".." || strings.ContainsAny(n, `/\`) || len(n) > 255 || !utf8.ValidString(n) {
					t.Fatalf("unsafe name %q from %q", n, name)
				}
				for _, r := range n {
					if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
						t.Fatalf("name %q from %q keeps %U", n, name, r)
					}
				}
			}
		}
	})
}
