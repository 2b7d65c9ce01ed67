package driver

import (
	"context"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/internal/background"
	"github.com/inboxkit/inboxkit/inbox/textfold"
)

// Rules a store applies where the engine cannot: what it keeps unique,
// how it matches a contact search, how long it keeps counters, and how it
// orders writes. They live here so every store applies them alike.

// MaxCountAge is how long stores keep a counter window (Tx.AddCount).
const MaxCountAge = 8 * 24 * time.Hour

// IsBackground reports whether ctx is background work's
// (inbox.BackgroundContext). Stores that run one write at a time use it
// to let intake and agents' writes go first.
func IsBackground(ctx context.Context) bool { return background.Is(ctx) }

// ContactIdentities lists every identity key of c (see inbox.ContactKey.Identity)
// once: stores keep them unique in a tenant, so two contacts never share
// an address, a number, a handle or a CRM id.
func ContactIdentities(c *inbox.Contact) []string {
	var keys []string
	seen := map[string]bool{}
	add := func(k inbox.ContactKey) {
		if id := k.Identity(); id != "" && !seen[id] {
			seen[id] = true
			keys = append(keys, id)
		}
	}
	for _, e := range c.Emails {
		add(inbox.ContactKey{Email: e})
	}
	for _, p := range c.Phones {
		add(inbox.ContactKey{Phone: p})
	}
	for _, h := range c.Handles {
		add(inbox.ContactKey{Handle: h})
	}
	add(inbox.ContactKey{ExternalID: c.ExternalID})
	return keys
}

// ContactSearchText is what ContactQuery.Search looks in: the contact's
// name, addresses and phone numbers, folded, separated by U+001F so a
// query never spans two of them.
func ContactSearchText(c *inbox.Contact) string {
	return textfold.Fold(c.Name + "\x1f" + strings.Join(c.Emails, "\x1f") + "\x1f" + strings.Join(c.Phones, "\x1f"))
}

// ContactSearchQuery is a ContactQuery.Search as stores compare it: a
// contact matches when its ContactSearchText contains it.
func ContactSearchQuery(s string) string { return textfold.Fold(strings.TrimSpace(s)) }
