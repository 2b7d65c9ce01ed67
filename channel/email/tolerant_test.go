package email

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// parseString parses raw with a parser that keeps the raw message.
func parseString(t *testing.T, raw string) *Parsed {
	t.Helper()
	p, err := NewParser(ParseOptions{Tenant: "t", Blobs: newMemBlobs()})
	require.NoError(t, err)
	got, err := p.Parse(context.Background(), strings.NewReader(raw))
	require.NoError(t, err)
	return got
}

// TestParseSenderFallback checks where the sender of a message without a
// From address comes from, and that only a message without any sender
// address is quarantined, saying why.
func TestParseSenderFallback(t *testing.T) {
	tests := []struct {
		name, header         string
		email, from, display string
	}{
		{"from", "From: Ada <ada@x.example>\r\nSender: bot@x.example\r\n", "ada@x.example", "From", "Ada"},
		{"sender", "Sender: Secrétariat <secretariat@x.example>\r\nReply-To: r@x.example\r\n", "secretariat@x.example", "Sender", "Secrétariat"},
		{"reply-to", "Reply-To: Bob <bob@x.example>\r\nReturn-Path: <bounce@x.example>\r\n", "bob@x.example", "Reply-To", "Bob"},
		{"return-path", "Return-Path: <Scanner@X.example>\r\n", "scanner@x.example", "Return-Path", ""},
		{"name only in from", "From: =?utf-8?q?Am=C3=A9lie_Durand?=\r\nReturn-Path: <amelie@x.example>\r\n", "amelie@x.example", "Return-Path", "Amélie Durand"},
		{"empty from", "From: \r\nReturn-Path: <c@x.example>\r\n", "c@x.example", "Return-Path", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseString(t, tt.header+"Subject: s\r\n\r\nbody\r\n")
			require.Empty(t, got.Inbound.ParseError)
			require.Equal(t, tt.email, got.Inbound.From.Email)
			require.Equal(t, tt.display, got.Inbound.From.Name)
			require.Equal(t, tt.from, got.SenderFrom)
		})
	}

	for _, header := range []string{"", "Return-Path: <>\r\n", "From: undisclosed\r\nReply-To: nobody\r\n"} {
		got := parseString(t, header+"Subject: s\r\n\r\nbody\r\n")
		require.Contains(t, got.Inbound.ParseError, "no sender address", "%q", header)
		require.NotEmpty(t, got.Inbound.RawKey, "kept for replay")
		require.Equal(t, "body\n", got.Inbound.Text, "the rest is read")
	}
}
