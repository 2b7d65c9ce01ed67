package inbox

import (
	"strings"
	"time"
	"unicode"
)

// Contact is a customer. Contacts are created automatically from the
// messages they send and enriched as more is learned (a name, a phone).
type Contact struct {
	ID       string
	TenantID TenantID
	Name     string
	Emails   []string // lower-cased addresses
	Phones   []string // digits only, international form without "+"
	// Handles are the contact's ids on channels that know people by
	// neither address nor number (a chat visitor id, a marketplace buyer
	// id), each scoped by its integration: ContactHandle.
	Handles []string
	// ExternalID is the host CRM's id for this client, set by the host or
	// by its ContactDirectory; channels never set it.
	ExternalID string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Version    int64
}

// Party is one side of a message: a person or a system, addressed by email,
// phone number or a channel-specific id.
type Party struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	// ID is a channel-specific identity (a webhook's user id).
	ID string `json:"id,omitempty"`
}

// ContactHandle is the handle a contact is known by on an integration
// whose parties carry only an id (Party.ID).
func ContactHandle(integrationID, partyID string) string { return integrationID + "/" + partyID }

// Identity is the key under which stores index and find a contact: "e:"
// email, "p:" phone, "h:" handle or "x:" external id, the first non-empty
// field of k; "" when k is empty.
func (k ContactKey) Identity() string {
	switch {
	case k.Email != "":
		return "e:" + k.Email
	case k.Phone != "":
		return "p:" + k.Phone
	case k.Handle != "":
		return "h:" + k.Handle
	case k.ExternalID != "":
		return "x:" + k.ExternalID
	}
	return ""
}

// IsZero reports whether p identifies nobody.
func (p Party) IsZero() bool { return p.Email == "" && p.Phone == "" && p.ID == "" }

// String is a display form: "Name <addr>" or the bare address.
func (p Party) String() string {
	addr := p.Email
	if addr == "" {
		addr = p.Phone
	}
	if addr == "" {
		addr = p.ID
	}
	if p.Name == "" {
		return addr
	}
	return p.Name + " <" + addr + ">"
}

// NormalizeEmail lower-cases and trims an address, so "Bob@X.example "
// and "bob@x.example" are one contact.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// NormalizePhone keeps the digits of a phone number in international form:
// "+33 6 12-34-56-78" and "0033612345678" both become "33612345678".
func NormalizePhone(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsDigit(r) && r < 128 {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if strings.HasPrefix(d, "00") {
		d = d[2:]
	}
	return d
}
