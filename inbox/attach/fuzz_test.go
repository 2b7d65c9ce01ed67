package attach_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/attach"
	"github.com/inboxkit/inboxkit/storage/blob"
)

// FuzzSanitizeFilename checks the manifest's filename invariants for any
// input, and that sanitizing is idempotent.
func FuzzSanitizeFilename(f *testing.F) {
	for _, s := range []string{
		"facture.pdf", "../../etc/passwd", `..\..\win.ini`, "/etc/cron.d/backdoor", `C:\Windows\System32\drivers\etc\hosts`,
		"facture\x00.pdf.exe", "rapport\u202efdp.exe", "note\r\nX-Injected: yes\t.txt", "..", "..%2F..%2Fsecret.txt",
		"CON.txt", "Facture n° 12 – été 2024.pdf", string(bytes.Repeat([]byte("é"), 200)) + ".pdf", "\xff\xfe", " . ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		name := attach.SanitizeFilename(raw)
		if name == "" || name == "." || name == ".." || bytes.ContainsAny([]byte(name), `/\`) {
			t.Fatalf("%q → unsafe %q", raw, name)
		}
		if !utf8.ValidString(name) || len(name) > attach.MaxFilenameBytes {
			t.Fatalf("%q → invalid or too long %q", raw, name)
		}
		for _, r := range name {
			if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("%q → control/format character %U in %q", raw, r, name)
			}
		}
		if again := attach.SanitizeFilename(name); again != name {
			t.Fatalf("not idempotent: %q → %q → %q", raw, name, again)
		}
	})
}

// FuzzValidate feeds arbitrary names, types and content to Validate: it
// must never panic, must count every byte, and must store exactly the
// accepted attachments.
func FuzzValidate(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/seed/*")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(filepath.Base(p), "application/octet-stream", b)
		}
	}
	f.Add("photo.png", "image/png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	f.Add("photo-lampe.png", "image/png", []byte("\x7fELF\x02\x01\x01\x00"))
	f.Add("scan.jpg", "image/jpeg", []byte("#!/bin/sh\necho\n"))
	f.Add("f.pdf", "application/pdf", []byte("%PDF-1.4\n%%EOF"))
	f.Add("a.csv", "text/csv; charset=utf-8", []byte("a,b\n1,2\n"))
	f.Add("x.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", []byte("PK\x03\x04vbaProject.bin"))
	f.Add("", "", []byte{})
	store := blob.NewMemory()
	f.Fuzz(func(t *testing.T, name, declared string, content []byte) {
		opts := attach.Options{MaxSize: 1 << 16, Store: store, Tenant: "fuzz"}
		res, err := attach.Validate(context.Background(), name, declared, bytes.NewReader(content), opts)
		switch {
		case err == nil:
			if res.Attachment.BlobKey == "" || res.Attachment.Rejected != "" || res.Attachment.Size != int64(len(content)) {
				t.Fatalf("accepted without a complete blob: %+v", res.Attachment)
			}
			if err := store.Delete(context.Background(), res.Attachment.BlobKey); err != nil {
				t.Fatal(err)
			}
		case errors.Is(err, attach.ErrRejected):
			if !errors.Is(err, inbox.ErrInvalid) || res.Attachment.Rejected == "" || res.Attachment.BlobKey != "" {
				t.Fatalf("refusal not reported: %v %+v", err, res.Attachment)
			}
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	})
}

func BenchmarkValidate(b *testing.B) {
	content := bytes.Repeat([]byte("ref,qty,price\nLUM-5521,2,89.90\n"), 1<<15) // ~1 MB
	opts := attach.Options{Store: blob.NewMemory(), Tenant: "acme"}
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := attach.Validate(context.Background(), "export.csv", "text/csv", bytes.NewReader(content), opts)
		if err != nil {
			b.Fatal(err)
		}
		_ = opts.Store.Delete(context.Background(), res.Attachment.BlobKey)
	}
}

func BenchmarkSanitizeFilename(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		attach.SanitizeFilename(`C:\Users\claire\Documents\Facture n° 12 – été 2024.pdf`)
	}
}
