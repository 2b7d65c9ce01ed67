package email

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox/attach"
)

// TestParseHostileFileNamesPassTheUploadRules parses a mail whose
// attachments have names built to fool an agent (RFC 2231 encoded, as a
// mail client sends them) and checks each against an agent's upload of
// the same file.
func TestParseHostileFileNamesPassTheUploadRules(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 2, 2))))
	pngData := buf.Bytes()
	pe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), make([]byte, 200)...)
	files := []struct {
		filename, contentType string
		data                  []byte
		refused               bool
	}{
		{"photo\u202egnp.exe", "image/png", pngData, true},
		{"invoice.exe", "application/octet-stream", pe, true},
		{"invoice.pdf", "application/pdf", pe, true},
		{"update.p\u200bs1", "text/plain", []byte("Write-Host hi\n"), true},
		{"notes.txt", "text/plain", []byte("#!/bin/sh\nrm -rf ~\n"), true},
		{"CON.txt", "text/plain", []byte("hello\n"), false},
		{"re\u200bport\u200d\ufeff.png", "image/png", pngData, false},
		{`..\..\x\u2066scan\u2069.png`, "image/png", pngData, false},
	}
	var raw strings.Builder
	raw.WriteString("From: a@example.com\r\nSubject: files\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n")
	for _, f := range files {
		raw.WriteString("--b\r\nContent-Type: " + f.contentType + "\r\nContent-Transfer-Encoding: base64\r\n")
		raw.WriteString("Content-Disposition: attachment; filename*=UTF-8''" + strings.ReplaceAll(url.PathEscape(f.filename), "+", "%2B") + "\r\n\r\n")
		raw.WriteString(base64.StdEncoding.EncodeToString(f.data) + "\r\n")
	}
	raw.WriteString("--b--\r\n")

	blobs := newMemBlobs()
	p, err := NewParser(ParseOptions{Tenant: "t", Blobs: blobs, DiscardRaw: true})
	require.NoError(t, err)
	got, err := p.Parse(context.Background(), strings.NewReader(raw.String()))
	require.NoError(t, err)
	require.Len(t, got.Inbound.Attachments, len(files))
	stored := 0
	for i, f := range files {
		a := got.Inbound.Attachments[i]
		for _, r := range a.Filename {
			require.False(t, unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r), "control or format character %U in %q", r, a.Filename)
		}
		require.NotContains(t, a.Filename, "/")
		require.NotContains(t, a.Filename, `\`)
		upload, uerr := attach.Validate(context.Background(), f.filename, f.contentType, bytes.NewReader(f.data), attach.Options{})
		require.Equal(t, f.refused, uerr != nil, "%q: upload verdict %v", f.filename, uerr)
		require.Equal(t, upload.Attachment.Filename, a.Filename, "the mail name is the upload name")
		require.Equal(t, upload.Attachment.Rejected, a.Rejected, "%q is judged as an upload is", f.filename)
		if f.refused {
			require.Empty(t, a.BlobKey)
		} else {
			require.NotEmpty(t, a.BlobKey)
			stored++
		}
	}
	require.Equal(t, stored, blobs.len(), "nothing of a refused file is stored")
}
