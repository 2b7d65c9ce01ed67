package email

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/emersion/go-message"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
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

// TestReadHeaderTolerates checks what the header reader keeps from
// broken header blocks, at the top of a message and in parts.
func TestReadHeaderTolerates(t *testing.T) {
	tests := []struct {
		name, raw string
		top       bool
		fields    [][2]string
		body      string
		envelope  string
	}{
		{"mbox envelope line", "From ada@x.example Wed Apr  3 08:15:04 2024\nSubject: a\n\nbody", true,
			[][2]string{{"Subject", "a"}}, "body", "ada@x.example Wed Apr  3 08:15:04 2024"},
		{"blank lines before the fields", "\r\n\r\nSubject: a\r\n\r\nbody", true, [][2]string{{"Subject", "a"}}, "body", ""},
		{"a part starting with a blank line has no header", "\r\nSubject: a\r\n", false, nil, "Subject: a\r\n", ""},
		{"stray line between fields", "Subject: a\r\nthis is no field\r\nTo: b@x.example\r\n\r\nbody", false,
			[][2]string{{"Subject", "a"}, {"To", "b@x.example"}}, "body", ""},
		{"last field without its colon", "Subject: a\r\nX-Priority 3\r\n\r\nbody", true, [][2]string{{"Subject", "a"}}, "body", ""},
		{"no blank line before the body", "Subject: a\r\nBonjour, pas de ligne vide\r\nMerci\r\n", true,
			[][2]string{{"Subject", "a"}}, "Bonjour, pas de ligne vide\r\nMerci\r\n", ""},
		{"body after a field-like first line", "Subject: a\r\nRendez-vous demain\r\nà 10 h\r\n", true,
			[][2]string{{"Subject", "a"}}, "Rendez-vous demain\r\nà 10 h\r\n", ""},
		{"parameter fold without indent", "Content-Disposition: attachment;\r\nfilename=\"x y.pdf\"\r\n\r\n%PDF", false,
			[][2]string{{"Content-Disposition", `attachment; filename="x y.pdf"`}}, "%PDF", ""},
		{"indented first line", " X-Generator: webmail\r\nContent-Type: image/png\r\n\r\nPNG", false,
			[][2]string{{"Content-Type", "image/png"}}, "PNG", ""},
		{"field name with a space", "Content Description: x\r\nContent-Type: image/png\r\n\r\nPNG", false,
			[][2]string{{"Content-Type", "image/png"}}, "PNG", ""},
		{"ends without a newline", "Subject: a", true, [][2]string{{"Subject", "a"}}, "", ""},
		{"long line", "X-Long: " + strings.Repeat("x", 20000) + "\r\nSubject: a\r\n\r\nb", false,
			[][2]string{{"X-Long", strings.Repeat("x", 20000)}, {"Subject", "a"}}, "b", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, body, envelope, err := readHeader(bufio.NewReaderSize(strings.NewReader(tt.raw), 4096), tt.top)
			require.NoError(t, err)
			var fields [][2]string
			for f := h.Fields(); f.Next(); {
				fields = append(fields, [2]string{f.Key(), f.Value()})
			}
			require.Equal(t, tt.fields, fields)
			b, err := io.ReadAll(body)
			require.NoError(t, err)
			require.Equal(t, tt.body, string(b))
			require.Equal(t, tt.envelope, envelope)
		})
	}

	_, _, _, err := readHeader(bufio.NewReader(strings.NewReader("X-Huge: "+strings.Repeat("x", maxHeaderBytes)+"\r\n\r\n")), true)
	require.ErrorIs(t, err, errHeaderTooLarge)
}

// TestParseMultipartTolerates reads multipart bodies that mime/multipart
// refuses or cuts short.
func TestParseMultipartTolerates(t *testing.T) {
	head := "From: a@x.example\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	tests := []struct {
		name, body string
		text       string
		truncated  bool
	}{
		{"bare LF after CRLF", "--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b\nContent-Type: text/plain\n\ntwo\n--b--\n", "one\n\ntwo", false},
		{"text after the boundary", "--b  (first)\r\n\r\none\r\n--b\t\r\n\r\ntwo\r\n--b--\r\n", "one\n\ntwo", false},
		{"text between a part and the next boundary", "preamble\r\n--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\nepilogue", "one\n\ntwo", false},
		{"empty part", "--b\r\n--b\r\n\r\ntwo\r\n--b--\r\n", "two", false},
		{"boundary prefix in the body", "--b\r\n\r\none\r\n--bx\r\n--b--\r\n", "one\n--bx", false},
		{"unclosed", "--b\r\n\r\none\r\n--b\r\n\r\ntwo", "one\n\ntwo", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseString(t, head+tt.body)
			require.Equal(t, tt.text, got.Inbound.Text)
			require.Equal(t, tt.truncated, got.Truncated)
		})
	}
}

// TestBase64ReaderIsLenient decodes damaged base64 as mail readers do.
func TestBase64ReaderIsLenient(t *testing.T) {
	tests := []struct{ in, want string }{
		{"aGVsbG8=", "hello"},
		{"aGVsbG8", "hello"},               // padding missing
		{"aGVs\r\nbG8=\r\n", "hello"},      // line breaks
		{" aGVs\r\n\tbG8=", "hello"},       // indented lines
		{"aGV!sbG8=", "hello"},             // a character outside the alphabet
		{"aGVs\xa0bG8*=", "hello"},         // 8-bit and punctuation damage
		{"aGVsbG8=d29ybGQ=", "helloworld"}, // concatenated bodies
		{"aGVsbG8gd29ybGQ", "hello world"}, // no padding, two bytes left
		{"aGVsbG8gY", "hello "},            // a lone sextet holds no byte
		{"-_8", "\xfb\xff"},                // URL-safe alphabet
		{"", ""},
	}
	for _, tt := range tests {
		got, err := io.ReadAll(newBase64Reader(strings.NewReader(tt.in)))
		require.NoError(t, err)
		require.Equal(t, tt.want, string(got), "%q", tt.in)
	}

	// Long input, read in small pieces across the decoder's buffers.
	data := make([]byte, 20000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	got, err := io.ReadAll(iotest.OneByteReader(newBase64Reader(strings.NewReader(base64Lines(data)))))
	require.NoError(t, err)
	require.Equal(t, data, got)

	// A read error comes after what was decoded before it.
	r := newBase64Reader(io.MultiReader(strings.NewReader("aGVsbG8"), iotest.ErrReader(io.ErrUnexpectedEOF)))
	got, err = io.ReadAll(r)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.Equal(t, "hello", string(got))
}

// TestParseDigestPartsAreMessages checks RFC 2046's default type in a
// multipart/digest: a part without Content-Type is a message.
func TestParseDigestPartsAreMessages(t *testing.T) {
	got := parseString(t, "From: list@x.example\r\nContent-Type: multipart/digest; boundary=d\r\n\r\n"+
		"--d\r\n\r\nFrom: ada@x.example\r\nSubject: one\r\n\r\nfirst\r\n"+
		"--d\r\n\r\nFrom: bob@x.example\r\nSubject: two\r\n\r\nsecond\r\n--d--\r\n")
	require.Len(t, got.Forwarded, 2)
	require.Equal(t, "one", got.Forwarded[0].Subject)
	require.Equal(t, "bob@x.example", got.Forwarded[1].From.Email)
	require.Equal(t, "second", strings.TrimSpace(got.Forwarded[1].Text))
	require.Equal(t, "message/rfc822", got.Inbound.Attachments[0].ContentType)
}

// TestEightBitHeaderText reads raw 8-bit header bytes in the declared
// charset, else as windows-1252, keeping the UTF-8 characters around them.
func TestEightBitHeaderText(t *testing.T) {
	tests := []struct{ in, cs, want string }{
		{"Zoé", "", "Zoé"},    // UTF-8 stays UTF-8
		{"Zo\xe9", "", "Zoé"}, // Latin-1
		{"l\x92abat-jour \x80", "utf-8", "l’abat-jour €"}, // windows-1252 beyond Latin-1
		{"Zoé et Andr\xe9", "", "Zoé et André"},           // mixed: only the stray byte is read as windows-1252
		{"\xa3ukasz", "ISO-8859-2", "Łukasz"},             // the declared charset
		{"Andr\xe9", "x-unknown-charset", "André"},
		{"=?utf-8?q?Andr=E9?=", "", "André"}, // a word labelled UTF-8 that is Latin-1
	}
	for _, tt := range tests {
		h := message.Header{}
		h.Set("Subject", tt.in)
		require.Equal(t, tt.want, headerText(h, "Subject", tt.cs), "%q in %q", tt.in, tt.cs)
	}
}

// TestPartiesSplitsOnSemicolons reads Outlook's semicolon-separated lists.
func TestPartiesSplitsOnSemicolons(t *testing.T) {
	h := message.Header{}
	h.Set("Cc", `"Morel, Sophie" <sophie.morel@x.example>; compta@y.example;=?utf-8?q?Ren=C3=A9e?= <renee@y.example>; "a;b" <ab@y.example>`)
	require.Equal(t, []inbox.Party{
		{Name: "Morel, Sophie", Email: "sophie.morel@x.example"},
		{Email: "compta@y.example"},
		{Name: "Renée", Email: "renee@y.example"},
		{Name: "a;b", Email: "ab@y.example"},
	}, parties(h, "Cc", ""))
}

// TestMediaTypeTolerates reads Content-Type and Content-Disposition values
// the standard library refuses or reads in part.
func TestMediaTypeTolerates(t *testing.T) {
	tests := []struct {
		raw, typ string
		params   map[string]string
	}{
		{"attachment; filename*0*=iso-8859-1''R%E9capitulatif%20; filename*1*=commande.pdf", "attachment",
			map[string]string{"filename": "Récapitulatif commande.pdf"}},
		{"attachment;\r\n filename*0*=utf-8''R%C3%A9capitulatif%20;\r\n filename*1*=commande.pdf", "attachment",
			map[string]string{"filename": "Récapitulatif commande.pdf"}},
		{"attachment; filename*1=commande.pdf; filename*0*=windows-1252'fr'R%E9capitulatif%20", "attachment",
			map[string]string{"filename": "Récapitulatif commande.pdf"}},
		{`attachment; filename*0*=utf-8''%C2%AB%20; filename*1="Opaline"; filename*2*=%20%C2%BB.pdf`, "attachment",
			map[string]string{"filename": "« Opaline ».pdf"}},
		{"attachment; filename*0*=''R%C3%A9cap; filename*1*=.pdf", "attachment", map[string]string{"filename": "Récap.pdf"}},
		{"attachment; filename*0*=utf-8''a; filename*0*=utf-8''b; filename*1=.txt", "attachment", map[string]string{"filename": "a.txt"}},
		{"attachment; filename=Récapitulatif commande n°5.pdf", "attachment", map[string]string{"filename": "Récapitulatif commande n°5.pdf"}},
		{"attachment; filename=R\xe9cap.pdf; size=120", "attachment", map[string]string{"filename": "Récap.pdf", "size": "120"}},
		{`application/pdf name="facture.pdf"`, "application/pdf", map[string]string{"name": "facture.pdf"}},
		{"text/plain; charset=utf-8 format=flowed", "text/plain", map[string]string{"charset": "utf-8", "format": "flowed"}},
		{`image/png; name="plan cuisine.png`, "image/png", map[string]string{"name": "plan cuisine.png"}},
		{"application/pdf; name=a.pdf; name=b.pdf", "application/pdf", map[string]string{"name": "a.pdf"}},
		{`Application/PDF;Name="x \"y\".pdf"`, "application/pdf", map[string]string{"name": `x "y".pdf`}},
		{`attachment; filename="=?utf-8?b?UmXDp3UucG5n?="`, "attachment", map[string]string{"filename": "Reçu.png"}},
		{"name=x.pdf", "", map[string]string{"name": "x.pdf"}},
		{"text/html; ; =; \"stray; charset=\"iso-8859-1\"", "text/html", map[string]string{"charset": "iso-8859-1"}},
		{"", "", map[string]string{}},
	}
	for _, tt := range tests {
		typ, params := mediaType(tt.raw)
		require.Equal(t, tt.typ, typ, "%q", tt.raw)
		require.Equal(t, tt.params, params, "%q", tt.raw)
	}
}

// TestParseEximBounce reads the forms of Exim's plain-text reports.
func TestParseEximBounce(t *testing.T) {
	const intro = "This message was created automatically by mail delivery software.\n\n"
	tests := []struct {
		name, text, header string
		want               BounceReport
		ok                 bool
	}{
		{"unrouteable", intro + "A message that you sent could not be delivered to one or more of its\n" +
			"recipients. This is a permanent error. The following address(es) failed:\n\n" +
			"  Paul@Old.example\n    Unrouteable address\n\n------ This is a copy of the message's headers. ------\n",
			"", BounceReport{FinalRecipient: "paul@old.example", Action: "failed", Status: "5.0.0", Permanent: true, Diagnostic: "Unrouteable address"}, true},
		{"gmail answer", intro + "A message that you sent could not be delivered to one or more of its\n" +
			"recipients. This is a permanent error. The following address(es) failed:\n\n" +
			"  ada@mail.example\n    host mx.mail.example [192.0.2.9]\n    SMTP error from remote mail server after end of data:\n" +
			"    550-5.7.1 Our system has detected that this message is\n    550 5.7.1 likely unsolicited mail.\n\n" +
			"------ This is a copy of the message, including all the headers. ------\n\nMessage-ID: <orig@shop.example>\n",
			"", BounceReport{OriginalMessageID: "orig@shop.example", FinalRecipient: "ada@mail.example", Action: "failed", Status: "5.7.1", Permanent: true,
				Diagnostic: "host mx.mail.example [192.0.2.9] SMTP error from remote mail server after end of data: 550-5.7.1 Our system has detected that this message is 550 5.7.1 likely unsolicited mail."}, true},
		{"pipe", intro + "A message that you sent could not be delivered to one or more of its\n" +
			"recipients. This is a permanent error. The following address(es) failed:\n\n" +
			"  pipe to |/usr/local/bin/ticket\n    generated by tickets@shop.example\n    local delivery failed\n",
			"", BounceReport{FinalRecipient: "tickets@shop.example", Action: "failed", Status: "5.0.0", Permanent: true,
				Diagnostic: "generated by tickets@shop.example local delivery failed"}, true},
		{"delay warning", intro + "A message that you sent has not yet been delivered to one or more of its\n" +
			"recipients after more than 24 hours on the queue on smtp.shop.example.\n\n" +
			"The address to which the message has not yet been delivered is:\n\n" +
			"  bob@slow.example\n    host mx.slow.example [192.0.2.7]: Connection timed out\n    Delay reason: SMTP error from remote mail server after RCPT TO:<bob@slow.example>:\n    451 4.7.1 Greylisted, try again\n\nNo action is required on your part.\n",
			"", BounceReport{FinalRecipient: "bob@slow.example", Action: "delayed", Status: "4.7.1",
				Diagnostic: "host mx.slow.example [192.0.2.7]: Connection timed out Delay reason: SMTP error from remote mail server after RCPT TO:<bob@slow.example>: 451 4.7.1 Greylisted, try again"}, true},
		{"recipient from the header", intro + "A message that you sent could not be delivered.\n",
			"Eve@X.example", BounceReport{FinalRecipient: "eve@x.example", Action: "failed", Status: "5.0.0", Permanent: true}, true},
		{"a person's mail", "Bonjour,\nla livraison n'a pas pu être effectuée.\n", "", BounceReport{}, false},
		{"no recipient", intro + "Something else.\n", "", BounceReport{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseEximBounce(tt.text, tt.header)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.want, got)
		})
	}

	// A plain-text report from a sender no header marks as a bounce.
	p := parseString(t, "From: postbote@relay.example\r\nSubject: Undeliverable\r\n\r\n"+tests[0].text)
	require.True(t, p.Inbound.Bounce)
	require.True(t, p.Inbound.Automated)
	require.Empty(t, p.AutoReplyTo)
	require.Equal(t, "paul@old.example", p.Bounce.FinalRecipient)
}

// TestParseSaysWhatTheLimitsDropped checks the note that replaces parts
// beyond the depth and part limits.
func TestParseSaysWhatTheLimitsDropped(t *testing.T) {
	p, err := NewParser(ParseOptions{MaxParts: 6, MaxDepth: 2})
	require.NoError(t, err)
	parse := func(raw string) *Parsed {
		got, err := p.Parse(context.Background(), strings.NewReader(raw))
		require.NoError(t, err)
		return got
	}
	head := "From: a@x.example\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"

	many := head
	for i := range 8 {
		many += fmt.Sprintf("--b1\r\nContent-Type: text/html\r\n\r\n<p>part %d</p>\r\n", i)
	}
	got := parse(many + "--b1--\r\n")
	require.True(t, got.Truncated)
	require.Equal(t, 1, got.DroppedParts)
	require.Contains(t, got.Inbound.Text, "part 0")
	require.True(t, strings.HasSuffix(got.Inbound.Text, "\n\n[This message has more than 6 parts; the others are not shown. The original message keeps them.]"), got.Inbound.Text)
	require.Contains(t, got.Inbound.HTML, "more than 6 parts")

	deep := head + "--b1\r\n\r\ntop\r\n--b1\r\nContent-Type: multipart/mixed; boundary=b2\r\n\r\n" +
		"--b2\r\nContent-Type: multipart/mixed; boundary=b3\r\n\r\n--b3\r\n\r\ntoo deep\r\n--b3--\r\n--b2--\r\n--b1--\r\n"
	got = parse(deep)
	require.Equal(t, 1, got.DroppedParts)
	require.Equal(t, "top\n\n[1 part(s) of this message are not shown: they are nested deeper than 2 levels. The original message keeps them.]", got.Inbound.Text)

	got = parse("From: a@x.example\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: multipart/mixed; boundary=b2\r\n\r\n" +
		"--b2\r\nContent-Type: multipart/mixed; boundary=b3\r\n\r\n--b3\r\n\r\ntoo deep\r\n--b3--\r\n--b2--\r\n--b1--\r\n")
	require.True(t, strings.HasPrefix(got.Inbound.Text, "[1 part(s)"), "no text but the note: %q", got.Inbound.Text)
}
