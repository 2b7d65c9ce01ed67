package email

import (
	"regexp"
	"slices"
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
)

// replyTokenPattern is the shape of a token: the local part of a
// Message-ID inboxkit generated.
var replyTokenPattern = regexp.MustCompile(`^[0-9a-z]{8,40}$`)

// replyTokenAddress returns the plus-addressed Reply-To for a reply whose
// Message-ID is messageID ("local+<token>@domain"), or "" when the id is
// not one of ours.
func (c *Channel) replyTokenAddress(from, messageID string) string {
	token, domain, ok := strings.Cut(messageID, "@")
	if !ok || domain != c.domain || !replyTokenPattern.MatchString(token) {
		return ""
	}
	local, addrDomain, ok := strings.Cut(from, "@")
	if !ok {
		return ""
	}
	if i := strings.IndexByte(local, '+'); i >= 0 {
		local = local[:i]
	}
	return local + "+" + token + "@" + addrDomain
}

// resolveReplyToken finds mail sent to one of our plus-addressed reply
// tokens and adds the Message-ID the token stands for to its threading
// headers, so the engine joins it to that conversation even when the
// customer's client dropped In-Reply-To and References.
// Tokens are recognised whether or not this channel adds them now, so
// answers to replies sent before a setting change still thread.
func (c *Channel) resolveReplyToken(in *inbox.Inbound) {
	if in.Own {
		return
	}
	for _, p := range slices.Concat(in.To, in.Cc) {
		local, domain, ok := strings.Cut(p.Email, "@")
		if !ok {
			continue
		}
		base, token, ok := strings.Cut(local, "+")
		if !ok || !replyTokenPattern.MatchString(token) || !slices.Contains(c.opts.Addresses, base+"@"+domain) {
			continue
		}
		id := token + "@" + c.domain
		switch {
		case in.InReplyTo == "":
			in.InReplyTo = id
		case in.InReplyTo != id && !slices.Contains(in.References, id):
			in.References = append(in.References, id)
		}
		return
	}
}
