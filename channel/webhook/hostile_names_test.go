package webhook

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/attach"
)

// hostileFile is an attachment an attacker posts: a name built to fool
// the person who sees it, and bytes that may be an executable.
type hostileFile struct {
	name, filename, contentType string
	data                        []byte
	refused                     bool // refused as an agent upload would be
}

func hostileFiles(t *testing.T) []hostileFile {
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 2, 2))))
	pngData := buf.Bytes()
	pe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), make([]byte, 200)...)
	return []hostileFile{
		// U+202E shows "photo\u202Egnp.exe" as "photoexe.png".
		{name: "right-to-left override", filename: "photo\u202egnp.exe", contentType: "image/png", data: pngData, refused: true},
		{name: "executable", filename: "invoice.exe", contentType: "application/octet-stream", data: pe, refused: true},
		{name: "executable declared as image", filename: "invoice.png", contentType: "image/png", data: pe, refused: true},
		{name: "script behind a zero-width space", filename: "update.p\u200bs1", contentType: "text/plain", data: []byte("Write-Host hi\n"), refused: true},
		{name: "shell script", filename: "notes.txt", contentType: "text/plain", data: []byte("#!/bin/sh\nrm -rf ~\n"), refused: true},
		{name: "windows device name", filename: "CON.txt", contentType: "text/plain", data: []byte("hello\n")},
		{name: "zero-width characters", filename: "re\u200bport\u200d\ufeff.png", contentType: "image/png", data: pngData},
		{name: "bidi isolates and path", filename: `..\..\x\u2066scan\u2069.png`, contentType: "image/png", data: pngData},
	}
}

// checkSafeName asserts what every stored attachment name must be.
func checkSafeName(t *testing.T, name string) {
	t.Helper()
	require.NotEmpty(t, name)
	require.NotContains(t, name, "/")
	require.NotContains(t, name, `\`)
	for _, r := range name {
		require.False(t, unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r), "control or format character %U in %q", r, name)
	}
	base, _, _ := strings.Cut(strings.ToUpper(name), ".")
	require.NotContains(t, []string{"CON", "PRN", "AUX", "NUL"}, base, "reserved device name %q", name)
}

func TestReceiverAttachmentNamesPassTheUploadRules(t *testing.T) {
	now := time.Unix(1735740000, 0)
	for _, f := range hostileFiles(t) {
		t.Run(f.name, func(t *testing.T) {
			env := newTestEnv(t, now)
			h := newReceiver(t, env, customTarget(secretA), nil)
			msg, err := json.Marshal(map[string]any{
				"external_id": "x-" + inbox.NewID(), "channel": "chat", "from": map[string]string{"id": "v"},
				"attachments": []map[string]string{{"filename": f.filename, "content_type": f.contentType, "data_base64": base64.StdEncoding.EncodeToString(f.data)}},
			})
			require.NoError(t, err)
			rec := serve(h, signedRequest(t, "msg_"+inbox.NewID(), now, string(msg), secretA))
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			msgs := env.Messages(t)
			require.Len(t, msgs, 1)
			require.Len(t, msgs[0].Attachments, 1)
			got := msgs[0].Attachments[0]
			checkSafeName(t, got.Filename)

			// The same file uploaded by an agent.
			upload, uerr := attach.Validate(context.Background(), f.filename, f.contentType, bytes.NewReader(f.data), attach.Options{Allow: DefaultAttachmentTypes})
			require.Equal(t, f.refused, uerr != nil, "upload verdict: %v", uerr)
			require.Equal(t, upload.Attachment.Filename, got.Filename, "the webhook name is the upload name")
			if f.refused {
				require.NotEmpty(t, got.Rejected, "refused as an upload is")
				require.Equal(t, upload.Attachment.Rejected, got.Rejected)
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
