package vonage

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// DefaultPartTimeout is how long the parts of a concatenated SMS wait for
// their siblings before the message is ingested with the gaps marked.
const DefaultPartTimeout = 24 * time.Hour

// concatGroupKey identifies the parts of one concatenated message: same
// integration, sender, recipient, reference and part count.
func concatGroupKey(integrationID string, m *SMS) string {
	return "sms-concat:" + integrationID + ":" + inbox.NormalizePhone(m.From) + ":" +
		inbox.NormalizePhone(m.To) + ":" + m.Concat.Ref + ":" + strconv.Itoa(m.Concat.Total)
}

// partReplayKey marks a part whose message was ingested, so a late retry
// of it is a duplicate instead of the start of a new message.
func partReplayKey(integrationID, messageID string) string {
	return "sms-part:" + integrationID + ":" + messageID
}

func smsPart(tenant inbox.TenantID, integrationID string, m *SMS) SMSPart {
	return SMSPart{
		Tenant: string(tenant), IntegrationID: integrationID, MessageID: m.MessageID,
		From: m.From, To: m.To, Text: m.body(), Keyword: m.Keyword, SentAt: m.SentAt,
		Ref: m.Concat.Ref, Part: m.Concat.Part, Total: m.Concat.Total,
	}
}

// complete reports whether parts hold every part of their message.
func complete(parts []SMSPart) bool {
	if len(parts) == 0 {
		return false
	}
	seen := map[int]bool{}
	for _, p := range parts {
		seen[p.Part] = true
	}
	for i := 1; i <= parts[0].Total; i++ {
		if !seen[i] {
			return false
		}
	}
	return true
}

// AssembleSMS joins the parts of a concatenated SMS, in any order, into one
// inbound message. Missing parts (a message flushed after the part
// timeout) are marked in the text. The provider id joins the parts' ids,
// so the same set of parts always yields the same id and a second
// assembly (another instance, a retry) is recognised as a duplicate.
func AssembleSMS(parts []SMSPart) inbox.Inbound {
	sorted := append([]SMSPart(nil), parts...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Part < sorted[j].Part })
	var text strings.Builder
	ids := make([]string, 0, len(sorted))
	total := 0
	var sentAt time.Time
	next := 1
	for _, p := range sorted {
		if p.Part < next {
			continue // the same part twice
		}
		for ; next < p.Part; next++ {
			text.WriteString("[part " + strconv.Itoa(next) + " missing]")
		}
		text.WriteString(p.Text)
		ids = append(ids, p.MessageID)
		if sentAt.IsZero() || (!p.SentAt.IsZero() && p.SentAt.Before(sentAt)) {
			sentAt = p.SentAt
		}
		total = p.Total
		next = p.Part + 1
	}
	for ; next <= total; next++ {
		text.WriteString("[part " + strconv.Itoa(next) + " missing]")
	}
	first := SMSPart{}
	if len(sorted) > 0 {
		first = sorted[0]
	}
	return inbox.Inbound{
		IntegrationID: first.IntegrationID,
		Source:        inbox.SourceSMS,
		ProviderID:    strings.Join(ids, "+"),
		From:          inbox.Party{Phone: first.From},
		To:            []inbox.Party{{Phone: first.To}},
		Text:          text.String(),
		SentAt:        sentAt,
	}
}
