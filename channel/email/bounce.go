package email

import (
	"bufio"
	"bytes"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// BounceReport is what an RFC 3464 delivery status notification says about
// the first failed recipient.
type BounceReport struct {
	// OriginalMessageID is the Message-ID (without <>) of the mail that
	// bounced, from the returned headers.
	OriginalMessageID string
	FinalRecipient    string
	// Action is "failed", "delayed", "delivered", "relayed" or "expanded".
	Action string
	// Status is the RFC 3463 status code, e.g. "5.1.1".
	Status       string
	ReportingMTA string
	// Permanent is true for a 5.x.x failure: retrying will not help.
	Permanent bool
	// Diagnostic is the remote server's explanation, if given.
	Diagnostic string
}

// parseDeliveryStatus reads a message/delivery-status body: one block of
// per-message fields, then one block per recipient.
func parseDeliveryStatus(body []byte, into *BounceReport) {
	body = bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))
	blocks := bytes.Split(body, []byte("\n\n"))
	for _, block := range blocks {
		block = bytes.TrimSpace(block)
		if len(block) == 0 {
			continue
		}
		h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(append(block, '\n', '\n'))))
		if err != nil {
			continue
		}
		if v := h.Get("Reporting-MTA"); v != "" && into.ReportingMTA == "" {
			into.ReportingMTA = typedValue(v)
		}
		if v := h.Get("Final-Recipient"); v != "" && into.FinalRecipient == "" {
			into.FinalRecipient = strings.ToLower(typedValue(v))
			into.Action = strings.ToLower(strings.TrimSpace(h.Get("Action")))
			into.Status = strings.TrimSpace(firstWord(h.Get("Status")))
			into.Permanent = strings.HasPrefix(into.Status, "5")
			into.Diagnostic = strings.Join(strings.Fields(typedValue(h.Get("Diagnostic-Code"))), " ")
		}
	}
}

// typedValue strips the address type of "rfc822; user@host" or
// "dns; mx.example".
func typedValue(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}
