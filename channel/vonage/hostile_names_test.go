package vonage

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox/attach"
)

// TestWhatsAppFileNamesPassTheUploadRules sends WhatsApp files whose
// names and bytes are built to fool an agent and checks that what is
// stored is what an agent's upload of the same file would be.
func TestWhatsAppFileNamesPassTheUploadRules(t *testing.T) {
	const secret = "messages-signature-secret"
	now := time.Date(2025, 1, 1, 13, 0, 0, 0, time.UTC)
	pngData := pngBytes(t)
	pe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), make([]byte, 200)...)
	for _, f := range []struct {
		name, filename, contentType string
		data                        []byte
		refused                     bool
	}{
		// U+202E shows "photo\u202Egnp.exe" as "photoexe.png".
		{name: "right-to-left override", filename: "photo\u202egnp.exe", contentType: "image/png", data: pngData, refused: true},
		{name: "executable", filename: "invoice.exe", contentType: "application/octet-stream", data: pe, refused: true},
		{name: "executable declared as pdf", filename: "invoice.pdf", contentType: "application/pdf", data: pe, refused: true},
		{name: "script behind a zero-width space", filename: "update.p\u200bs1", contentType: "text/plain", data: []byte("Write-Host hi\n"), refused: true},
		{name: "shell script", filename: "notes.txt", contentType: "text/plain", data: []byte("#!/bin/sh\nrm -rf ~\n"), refused: true},
		{name: "windows device name", filename: "CON.txt", contentType: "text/plain", data: []byte("hello\n")},
		{name: "zero-width characters", filename: "re\u200bport\u200d\ufeff.png", contentType: "image/png", data: pngData},
		{name: "bidi isolates and path", filename: `..\..\x\u2066scan\u2069.png`, contentType: "image/png", data: pngData},
	} {
		t.Run(f.name, func(t *testing.T) {
			env := newTestEnv(t, now)
			media := newFakeMedia(t)
			media.files["/v3/media/hostile"] = mediaFile{contentType: f.contentType, body: f.data}
			h := newWhatsAppReceiver(t, env, waTarget(secret), media, nil)
			body, err := json.Marshal(map[string]any{
				"channel": "whatsapp", "message_uuid": "uuid-hostile", "to": "447700900000", "from": "447700900123",
				"timestamp": "2025-01-01T12:59:58Z", "message_type": "file",
				"file": map[string]string{"url": "https://api-eu.vonage.com/v3/media/hostile", "name": f.filename, "caption": "see attached"},
			})
			require.NoError(t, err)
			rec := serve(h, messagesRequest(t, secret, string(body), now))
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			msgs := env.Messages(t)
			require.Len(t, msgs, 1)
			require.Len(t, msgs[0].Attachments, 1)
			got := msgs[0].Attachments[0]

			require.NotContains(t, got.Filename, "/")
			require.NotContains(t, got.Filename, `\`)
			for _, r := range got.Filename {
				require.False(t, unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r), "control or format character %U in %q", r, got.Filename)
			}
			base, _, _ := strings.Cut(strings.ToUpper(got.Filename), ".")
			require.NotContains(t, []string{"CON", "PRN", "AUX", "NUL"}, base)

			// The same file uploaded by an agent.
			upload, uerr := attach.Validate(context.Background(), f.filename, f.contentType, bytes.NewReader(f.data), attach.Options{Allow: DefaultMediaTypes})
			require.Equal(t, f.refused, uerr != nil, "upload verdict: %v", uerr)
			require.Equal(t, upload.Attachment.Filename, got.Filename, "the WhatsApp name is the upload name")
			if f.refused {
				require.Equal(t, upload.Attachment.Rejected, got.Rejected, "refused as an upload is")
				require.Empty(t, got.BlobKey)
				require.Zero(t, env.Blobs.Count(), "nothing of a refused file is stored")
				return
			}
			require.Empty(t, got.Rejected)
			require.NotEmpty(t, got.BlobKey)
			require.Equal(t, upload.Attachment.ContentType, got.ContentType)
		})
	}
}
