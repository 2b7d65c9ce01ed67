package email

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// TestParseCorpus parses every corpus message and checks every manifest
// expectation the parser can answer.
func TestParseCorpus(t *testing.T) {
	blobs := newMemBlobs()
	p, err := NewParser(ParseOptions{Tenant: "t1", Blobs: blobs, OwnAddresses: []string{"support@maison-lumiere.example"}})
	require.NoError(t, err)
	for _, c := range loadCorpus(t) {
		t.Run(c.File, func(t *testing.T) {
			f, err := os.Open(c.path)
			require.NoError(t, err)
			defer f.Close()
			got, err := p.Parse(context.Background(), f)
			require.NoError(t, err)
			checkExpect(t, c, got, blobs)
		})
	}
}

// checkExpect compares a parsed message with its manifest entry.
func checkExpect(t *testing.T, c corpusCase, got *Parsed, blobs *memBlobs) {
	t.Helper()
	in := got.Inbound
	require.Empty(t, in.ParseError)
	assert.Equal(t, c.Automated, in.Automated, "automated (signals %v)", got.Detection.Signals)
	assert.Equal(t, c.Newsletter, in.Newsletter, "newsletter")
	assert.Equal(t, c.Bounce, in.Bounce, "bounce")
	if in.Automated {
		assert.NotEmpty(t, in.AutomatedReason)
	}
	if blobs != nil {
		require.NotEmpty(t, in.RawKey, "raw message kept")
		rc, err := blobs.Get(context.Background(), in.RawKey)
		require.NoError(t, err)
		n, _ := io.Copy(io.Discard, rc)
		assert.Equal(t, got.Size, n)
	}
	e := c.Expect
	str := func(k string) (string, bool) {
		v, ok := e[k]
		if !ok {
			return "", false
		}
		s, _ := v.(string)
		return s, true
	}
	strs := func(k string) []string {
		var out []string
		switch v := e[k].(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, x := range v {
				out = append(out, x.(string))
			}
		}
		return out
	}

	if want, ok := str("subject"); ok {
		assert.Equal(t, want, in.Subject, "subject")
	}
	if want, ok := str("normalized_subject"); ok {
		assert.Equal(t, want, inbox.NormalizeSubject(in.Subject), "normalized subject")
	}
	if want, ok := str("from"); ok {
		assert.Equal(t, want, in.From.Email, "from")
	}
	if want, ok := str("from_name"); ok {
		assert.Equal(t, want, in.From.Name, "from name")
	}
	if want, ok := str("to_name"); ok {
		require.NotEmpty(t, in.To)
		assert.Equal(t, want, in.To[0].Name, "to name")
	}
	if want, ok := str("reply_to"); ok {
		require.NotEmpty(t, in.ReplyTo)
		assert.Equal(t, want, in.ReplyTo[0].Email, "reply-to")
	}
	if want, ok := str("auto_reply_to"); ok {
		assert.Equal(t, want, got.AutoReplyTo, "auto-reply address")
	}
	if v, ok := e["auto_reply"]; ok && v == false {
		assert.Empty(t, got.AutoReplyTo, "automated mail gets no auto-reply")
	}
	if want, ok := str("message_id"); ok {
		assert.Equal(t, want, in.MessageID, "message-id")
	}
	if want, ok := str("in_reply_to"); ok {
		assert.Equal(t, want, in.InReplyTo, "in-reply-to")
	}
	if _, ok := e["references"]; ok {
		want := strs("references")
		if len(want) == 0 {
			assert.Empty(t, in.References, "references")
		} else {
			assert.Equal(t, want, in.References, "references")
		}
	}
	if want, ok := str("thread_index"); ok {
		assert.Equal(t, want, in.ThreadIndex, "thread-index")
	}
	if _, ok := e["date"]; ok {
		want, _ := str("date")
		if want == "" {
			assert.True(t, got.Date.IsZero(), "date should be absent, got %v", got.Date)
			if st, ok := str("date_status"); ok {
				assert.Equal(t, st, got.DateStatus)
			}
			if rd, ok := str("received_date"); ok {
				assert.Equal(t, rd, in.SentAt.UTC().Format(time.RFC3339), "sent-at falls back to Received")
			}
		} else {
			assert.Equal(t, want, got.Date.UTC().Format(time.RFC3339), "date")
			assert.Equal(t, got.Date, in.SentAt)
		}
	}
	if want, ok := str("charset"); ok {
		assert.Equal(t, want, got.Charset, "charset")
	}
	for _, k := range []string{"text_contains", "text_contains_more", "text_contains_flowed_joined"} {
		for _, want := range strs(k) {
			assert.Contains(t, in.Text, want, k)
		}
	}
	for _, bad := range strs("text_not_contains") {
		assert.NotContains(t, in.Text, bad, "text_not_contains")
	}
	if want, ok := str("text_starts_with"); ok {
		assert.True(t, strings.HasPrefix(in.Text, want), "text starts with %q: %q", want, in.Text[:min(40, len(in.Text))])
	}
	if want, ok := str("quoted_text_starts_with"); ok {
		require.GreaterOrEqual(t, got.QuotedStart, 0, "quoted history found")
		_, quoted := SplitQuoted(in.Text)
		assert.True(t, strings.HasPrefix(quoted, want), "quoted history starts with %q, got %q", want, quoted[:min(60, len(quoted))])
	}
	for _, want := range strs("html_contains") {
		assert.Contains(t, in.HTML, want, "sanitized html")
	}
	for _, bad := range strs("html_must_not_contain") {
		assert.NotContains(t, in.HTML, bad, "sanitized html")
		assert.NotContains(t, in.Text, bad, "text from html")
	}
	if v, ok := e["to_count"].(float64); ok {
		assert.Len(t, in.To, int(v))
	}
	if v, ok := e["cc_count"].(float64); ok {
		assert.Len(t, in.Cc, int(v))
	}
	if v, ok := e["truncated"].(bool); ok {
		assert.Equal(t, v, got.Truncated, "truncated")
	}
	if v, ok := e["file_size"].(float64); ok {
		assert.Equal(t, int64(v), got.Size, "file size")
	}
	if u, ok := e["unsubscribe"].(map[string]any); ok {
		assert.Equal(t, u["one_click"], got.Unsubscribe.OneClick)
		assert.Equal(t, u["https"], got.Unsubscribe.HTTPS)
		assert.Equal(t, u["mailto"], got.Unsubscribe.Mailto)
	}
	if b, ok := e["bounce_report"].(map[string]any); ok {
		require.NotNil(t, got.Bounce, "bounce report")
		assert.Equal(t, b["original_message_id"], got.Bounce.OriginalMessageID)
		assert.Equal(t, b["final_recipient"], got.Bounce.FinalRecipient)
		assert.Equal(t, b["action"], got.Bounce.Action)
		assert.Equal(t, b["status"], got.Bounce.Status)
		assert.Equal(t, b["reporting_mta"], got.Bounce.ReportingMTA)
		assert.Equal(t, b["permanent"], got.Bounce.Permanent)
		if want, ok := b["diagnostic"].(string); ok {
			assert.Contains(t, got.Bounce.Diagnostic, want, "the reason the delivery failed")
		}
	}
	if list, ok := e["attachments"].([]any); ok {
		checkAttachments(t, list, got, blobs)
	}
	if list, ok := e["attachments_lenient"].([]any); ok {
		require.Len(t, in.Attachments, len(list))
		for i, x := range list {
			want := x.(map[string]any)
			a := in.Attachments[i]
			assert.Equal(t, want["filename"], a.Filename)
			assert.Equal(t, want["content_type"], a.ContentType)
			if want["complete"] == false {
				assert.NotEmpty(t, a.Rejected, "an incomplete attachment is flagged")
				assert.Empty(t, a.BlobKey, "an incomplete attachment is not kept")
			}
			// What a tolerant reader recovers is checked like a regular
			// attachment when the manifest gives its size and hash.
			if v, ok := want["size"].(float64); ok {
				assert.Equal(t, int64(v), a.Size, "attachment %d size", i)
			}
			if v, ok := want["sha256"].(string); ok {
				assert.Equal(t, v, a.SHA256, "attachment %d sha256", i)
				assert.Empty(t, a.Rejected, "attachment %d recovered whole", i)
				if blobs != nil {
					assert.NotEmpty(t, a.BlobKey, "attachment %d stored", i)
				}
			}
		}
	}
	for _, a := range in.Attachments {
		assertSafeFilename(t, a.Filename)
	}
}

func checkAttachments(t *testing.T, list []any, got *Parsed, blobs *memBlobs) {
	t.Helper()
	in := got.Inbound
	require.Len(t, in.Attachments, len(list), "attachments")
	for i, x := range list {
		want := x.(map[string]any)
		a := in.Attachments[i]
		assert.Equal(t, want["content_type"], a.ContentType, "attachment %d type", i)
		if want["filename"] == nil {
			assert.True(t, strings.HasSuffix(a.Filename, ".eml"), "unnamed message part gets a .eml name: %q", a.Filename)
		} else {
			assert.Equal(t, want["filename"], a.Filename, "attachment %d name", i)
		}
		if v, ok := want["size"].(float64); ok {
			assert.Equal(t, int64(v), a.Size, "attachment %d size", i)
		}
		if v, ok := want["sha256"].(string); ok {
			assert.Equal(t, v, a.SHA256, "attachment %d sha256", i)
		}
		inline, _ := want["inline"].(bool)
		assert.Equal(t, inline, a.Inline, "attachment %d inline", i)
		if v, ok := want["content_id"].(string); ok {
			assert.Equal(t, v, a.ContentID)
		}
		if want["type_mismatch"] == true {
			assert.NotEmpty(t, a.Rejected, "type mismatch is rejected")
		}
		if a.Rejected != "" {
			// Refused by the attachment policy (mismatch, executable):
			// described, never kept.
			assert.Empty(t, a.BlobKey, "refused content is not kept")
			continue
		}
		if blobs != nil {
			require.NotEmpty(t, a.BlobKey, "attachment %d stored", i)
			rc, err := blobs.Get(context.Background(), a.BlobKey)
			require.NoError(t, err)
			h := sha256.New()
			n, _ := io.Copy(h, rc)
			assert.Equal(t, a.Size, n)
			assert.Equal(t, a.SHA256, hex.EncodeToString(h.Sum(nil)), "stored bytes")
		}
		if want["content_type"] == "message/rfc822" {
			var fw *Forwarded
			for j := range got.Forwarded {
				if got.Forwarded[j].Attachment == i {
					fw = &got.Forwarded[j]
				}
			}
			require.NotNil(t, fw)
			assert.Equal(t, want["inner_subject"], fw.Subject)
			assert.Equal(t, want["inner_from"], fw.From.Email)
			assert.Equal(t, want["inner_message_id"], fw.MessageID)
			assert.Equal(t, want["inner_date"], fw.Date.UTC().Format(time.RFC3339))
			assert.Contains(t, fw.Text, want["inner_text_contains"])
		}
	}
}

// assertSafeFilename checks the manifest's filename invariants.
func assertSafeFilename(t *testing.T, name string) {
	t.Helper()
	assert.NotContains(t, name, "/")
	assert.NotContains(t, name, `\`)
	assert.NotContains(t, []string{"", ".", ".."}, name)
	assert.LessOrEqual(t, len(name), 255)
	for _, r := range name {
		assert.False(t, r < 0x20 || (r >= 0x7f && r <= 0x9f), "control character %U in %q", r, name)
		assert.False(t, r == 0x202e || r == 0x202d || r == 0x200b || r == 0x200e || r == 0x200f || r == 0xfeff, "format character %U in %q", r, name)
	}
}
