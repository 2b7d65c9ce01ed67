package memstore

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// identityKeys lists the identity index keys of a contact.
func identityKeys(c inbox.Contact) []string { return driver.ContactIdentities(&c) }

// claimIdentities checks that no other contact holds c's identities.
func (t *tx) claimIdentities(c inbox.Contact) error {
	for _, k := range identityKeys(c) {
		if holder, ok := t.state.identities[k]; ok && holder != c.ID {
			return fmt.Errorf("memstore: contact identity %q is held by contact %q: %w", k[2:], holder, inbox.ErrConflict)
		}
	}
	return nil
}

func (t *tx) indexContact(c inbox.Contact) {
	for _, k := range identityKeys(c) {
		put(&t.undo, t.state.identities, k, c.ID)
	}
}

func (t *tx) unindexContact(c inbox.Contact) {
	for _, k := range identityKeys(c) {
		if t.state.identities[k] == c.ID {
			del(&t.undo, t.state.identities, k)
		}
	}
}

func (t *tx) CreateContact(c *inbox.Contact) error {
	if err := inbox.CheckText("contact", c); err != nil {
		return fmt.Errorf("memstore: create contact: %w", err)
	}
	if err := t.begin("create contact", &c.TenantID, &c.ID, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return err
	}
	if _, ok := t.state.contacts[c.ID]; ok {
		return conflict("create contact", c.ID)
	}
	if err := t.claimIdentities(*c); err != nil {
		return err
	}
	c.Version = 1
	stored := cloneContact(*c)
	put(&t.undo, t.state.contacts, c.ID, stored)
	t.indexContact(stored)
	return nil
}

func (t *tx) UpdateContact(c *inbox.Contact) error {
	if err := inbox.CheckText("contact", c); err != nil {
		return fmt.Errorf("memstore: update contact: %w", err)
	}
	if err := t.write("update contact"); err != nil {
		return err
	}
	if err := t.ownExisting("contact", c.ID, &c.TenantID); err != nil {
		return err
	}
	cur, ok := t.state.contacts[c.ID]
	if !ok {
		return notFound("contact", c.ID)
	}
	if c.Version != cur.Version {
		return staleVersion("contact", c.ID, c.Version, cur.Version)
	}
	if err := t.claimIdentities(*c); err != nil {
		return err
	}
	next := cloneContact(*c)
	next.CreatedAt = cur.CreatedAt
	next.Version = cur.Version + 1
	t.unindexContact(cur)
	put(&t.undo, t.state.contacts, c.ID, next)
	t.indexContact(next)
	c.Version = next.Version
	return nil
}

func (t *tx) GetContact(id string) (inbox.Contact, error) {
	if err := t.read(); err != nil {
		return inbox.Contact{}, err
	}
	c, ok := t.state.contacts[id]
	if !ok {
		return inbox.Contact{}, notFound("contact", id)
	}
	return cloneContact(c), nil
}

// FindContacts is FindContact for many keys.
func (t *tx) FindContacts(keys []inbox.ContactKey) (map[inbox.ContactKey]inbox.Contact, error) {
	out := make(map[inbox.ContactKey]inbox.Contact, len(keys))
	for _, key := range keys {
		c, err := t.FindContact(key)
		switch {
		case err == nil:
			out[key] = c
		case !errors.Is(err, inbox.ErrNotFound):
			return nil, err
		}
	}
	return out, nil
}

// FindContact looks the first non-empty identity of key up in the index.
func (t *tx) FindContact(key inbox.ContactKey) (inbox.Contact, error) {
	if err := t.read(); err != nil {
		return inbox.Contact{}, err
	}
	k := key.Identity()
	if k == "" {
		return inbox.Contact{}, fmt.Errorf("memstore: find contact without a key: %w", inbox.ErrNotFound)
	}
	id, ok := t.state.identities[k]
	if !ok {
		return inbox.Contact{}, notFound("contact with identity", k[2:])
	}
	return cloneContact(t.state.contacts[id]), nil
}

// contactCursor is the position after a contact in name, id order.
type contactCursor struct {
	Name string `json:"n"`
	ID   string `json:"i"`
}

// ListContacts orders by name then id; Search is a case- and
// accent-insensitive substring of the name, an email or a phone.
func (t *tx) ListContacts(q inbox.ContactQuery) (inbox.ContactPage, error) {
	if err := t.read(); err != nil {
		return inbox.ContactPage{}, err
	}
	if q.Limit < 0 {
		return inbox.ContactPage{}, fmt.Errorf("memstore: list contacts: %w", inbox.Invalid("limit", "must not be negative"))
	}
	limit := min(limitOr(q.Limit, 50), maxLimit)
	var after *contactCursor
	if q.Cursor != "" {
		var c contactCursor
		if err := decodeCursor(q.Cursor, &c); err != nil {
			return inbox.ContactPage{}, fmt.Errorf("memstore: list contacts: %w", err)
		}
		after = &c
	}
	search := driver.ContactSearchQuery(q.Search)
	top := &topK[inbox.Contact]{max: limit + 1, less: func(a, b inbox.Contact) bool {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) < 0
	}}
	for _, c := range t.state.contacts {
		if after != nil && cmp.Or(cmp.Compare(c.Name, after.Name), cmp.Compare(c.ID, after.ID)) <= 0 {
			continue
		}
		if search != "" && !contactMatches(c, search) {
			continue
		}
		top.offer(c)
	}
	items := top.sorted()
	var page inbox.ContactPage
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		page.NextCursor = encodeCursor(contactCursor{Name: last.Name, ID: last.ID})
	}
	page.Items = make([]inbox.Contact, len(items))
	for i, c := range items {
		page.Items[i] = cloneContact(c)
	}
	return page, nil
}

func contactMatches(c inbox.Contact, search string) bool {
	return strings.Contains(driver.ContactSearchText(&c), search)
}

func (t *tx) DeleteContact(id string) error {
	if err := t.write("delete contact"); err != nil {
		return err
	}
	cur, ok := t.state.contacts[id]
	if !ok {
		return notFound("contact", id)
	}
	t.unindexContact(cur)
	del(&t.undo, t.state.contacts, id)
	return nil
}

// encodeCursor makes an opaque cursor of a position.
func encodeCursor(v any) string {
	raw, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// decodeCursor reads a cursor made by encodeCursor.
func decodeCursor(s string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		err = dec.Decode(v)
	}
	if err != nil {
		return inbox.Invalid("cursor", "is not a cursor of this list")
	}
	return nil
}
