package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// contactKeys are the identities FindContact looks up
// (driver.ContactIdentities).
func contactKeys(c *inbox.Contact) []string { return driver.ContactIdentities(c) }

func contactSearch(c *inbox.Contact) string { return driver.ContactSearchText(c) }

// backfillContactSearch fills the search text of contacts a migration
// cleared, in batches.
func (s *Store) backfillContactSearch(ctx context.Context) error {
	for {
		rows, err := s.writer.QueryContext(ctx, s.d.Rebind(`SELECT tenant_id, id, doc FROM contacts WHERE search = '' LIMIT 500`))
		if err != nil {
			return s.wrap("fold contact search", err)
		}
		type row struct{ tenant, id, search string }
		var todo []row
		for rows.Next() {
			var r row
			var doc []byte
			var c inbox.Contact
			if err := rows.Scan(&r.tenant, &r.id, &doc); err != nil {
				rows.Close()
				return s.wrap("fold contact search", err)
			}
			if err := decode(doc, &c); err != nil {
				rows.Close()
				return err
			}
			r.search = contactSearch(&c)
			todo = append(todo, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s.wrap("fold contact search", err)
		}
		if len(todo) == 0 {
			return nil
		}
		for _, r := range todo {
			if _, err := s.writer.ExecContext(ctx, s.d.Rebind(`UPDATE contacts SET search = ? WHERE tenant_id = ? AND id = ?`), r.search, r.tenant, r.id); err != nil {
				return s.wrap("fold contact search", err)
			}
		}
	}
}

// CreateContact stores a new contact and its identities; ErrConflict if
// another contact holds one of them.
func (t *tx) CreateContact(c *inbox.Contact) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if err := t.own("contact", &c.TenantID, true); err != nil {
		return err
	}
	t.stamp(&c.ID, &c.CreatedAt, &c.UpdatedAt, &c.Version)
	if err := t.identitiesFree(c); err != nil {
		return err
	}
	doc, err := encode(c)
	if err != nil {
		return err
	}
	if err := t.insert("contact", "contacts", []string{"id", "name", "search", "created_at", "version", "doc"},
		c.ID, c.Name, contactSearch(c), nanos(c.CreatedAt), c.Version, doc); err != nil {
		return err
	}
	return t.setContactKeys(c, true)
}

// identitiesFree checks, before anything is written, that no other contact
// holds one of c's identities. A concurrent transaction that claims one
// in between makes the later insert fail with ErrConflict.
func (t *tx) identitiesFree(c *inbox.Contact) error {
	keys := contactKeys(c)
	if len(keys) == 0 {
		return nil
	}
	var holder string
	err := t.queryRow("check contact identities", []any{&holder}, `SELECT contact_id FROM contact_keys WHERE tenant_id = ? AND key IN (`+
		placeholders(len(keys))+`) AND contact_id <> ? LIMIT 1`, append(append([]any{string(t.tenant)}, anys(keys)...), c.ID)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("contact %q: %w: an email, phone or external id is held by contact %q", c.ID, inbox.ErrConflict, holder)
}

// setContactKeys writes the contact's identity keys in one statement. A
// contact just inserted (fresh) holds none yet, so there is nothing to
// delete first: an ingest creating a contact per new sender saves a round
// trip each.
func (t *tx) setContactKeys(c *inbox.Contact, fresh bool) error {
	if !fresh {
		if _, err := t.exec("contact keys", `DELETE FROM contact_keys WHERE tenant_id = ? AND contact_id = ?`, string(t.tenant), c.ID); err != nil {
			return err
		}
	}
	keys := contactKeys(c)
	if len(keys) == 0 {
		return nil
	}
	args := make([]any, 0, 3*len(keys))
	for _, k := range keys {
		args = append(args, string(t.tenant), k, c.ID)
	}
	_, err := t.exec("contact keys", `INSERT INTO contact_keys (tenant_id, key, contact_id) VALUES (?, ?, ?)`+
		strings.Repeat(", (?, ?, ?)", len(keys)-1), args...)
	return err
}

// UpdateContact replaces a contact if its version is current.
func (t *tx) UpdateContact(c *inbox.Contact) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if err := requireID("contact", c.ID); err != nil {
		return err
	}
	if err := t.own("contact", &c.TenantID, false); err != nil {
		return err
	}
	if err := t.identitiesFree(c); err != nil {
		return err
	}
	next := *c
	next.Version++
	doc, err := encode(next)
	if err != nil {
		return err
	}
	if err := t.updateVersioned("contact", "contacts", c.ID, c.Version, []string{"name", "search", "doc"}, c.Name, contactSearch(c), doc); err != nil {
		return err
	}
	c.Version++
	return t.setContactKeys(c, false)
}

// GetContact returns ErrNotFound for an unknown id.
func (t *tx) GetContact(id string) (inbox.Contact, error) {
	var c inbox.Contact
	return c, t.getDoc("contact", "contacts", id, &c)
}

// FindContact looks a contact up by its first non-empty identity.
func (t *tx) FindContact(key inbox.ContactKey) (inbox.Contact, error) {
	k, ok := identityKey(key)
	if !ok {
		return inbox.Contact{}, fmt.Errorf("find contact: %w: the key is empty", inbox.ErrNotFound)
	}
	list, err := queryDocs[inbox.Contact](t, "find contact", `SELECT c.doc, c.created_at FROM contact_keys k
		JOIN contacts c ON c.tenant_id = k.tenant_id AND c.id = k.contact_id
		WHERE k.tenant_id = ? AND k.key = ? ORDER BY c.id LIMIT 1`, string(t.tenant), k)
	if err != nil {
		return inbox.Contact{}, err
	}
	if len(list) == 0 {
		return inbox.Contact{}, fmt.Errorf("find contact: %w", inbox.ErrNotFound)
	}
	return list[0], nil
}

// identityKey is the contact_keys key of a lookup: email, else phone,
// else external id.
func identityKey(key inbox.ContactKey) (string, bool) {
	k := key.Identity()
	return k, k != ""
}

// FindContacts is FindContact for many keys, in one query per chunk.
func (t *tx) FindContacts(keys []inbox.ContactKey) (map[inbox.ContactKey]inbox.Contact, error) {
	if err := t.usable(false); err != nil {
		return nil, err
	}
	byKey := map[string][]inbox.ContactKey{} // keys naming one identity
	var ks []string
	for _, key := range keys {
		if k, ok := identityKey(key); ok {
			if _, dup := byKey[k]; !dup {
				ks = append(ks, k)
			}
			byKey[k] = append(byKey[k], key)
		}
	}
	out := make(map[inbox.ContactKey]inbox.Contact, len(ks))
	for chunk := range slices.Chunk(ks, keyChunk) {
		rows, err := t.query("find contacts", `SELECT k.key, c.doc, c.created_at FROM contact_keys k
			JOIN contacts c ON c.tenant_id = k.tenant_id AND c.id = k.contact_id
			WHERE k.tenant_id = ? AND k.key IN (`+placeholders(len(chunk))+`)`, append([]any{string(t.tenant)}, anys(chunk)...)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k string
			var doc []byte
			var created int64
			if err := rows.Scan(&k, &doc, &created); err != nil {
				rows.Close()
				return nil, t.s.wrap("find contacts", err)
			}
			var c inbox.Contact
			if err := decode(doc, &c); err != nil {
				rows.Close()
				return nil, err
			}
			setCreated(&c, created)
			for _, key := range byKey[k] {
				out[key] = c
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, t.s.wrap("find contacts", err)
		}
	}
	return out, nil
}

// ListContacts pages contacts by name then id.
func (t *tx) ListContacts(q inbox.ContactQuery) (inbox.ContactPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	if limit > 500 {
		limit = 500
	}
	where := []string{"tenant_id = ?"}
	args := []any{string(t.tenant)}
	if q.Search != "" {
		where = append(where, `search LIKE ? ESCAPE '\'`)
		args = append(args, "%"+likeEscape(driver.ContactSearchQuery(q.Search))+"%")
	}
	if q.Cursor != "" {
		var cur [2]string
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || json.Unmarshal(raw, &cur) != nil {
			return inbox.ContactPage{}, fmt.Errorf("list contacts: %w", inbox.Invalid("cursor", "is not a cursor this store returned"))
		}
		where = append(where, "(name > ? OR (name = ? AND id > ?))")
		args = append(args, cur[0], cur[0], cur[1])
	}
	args = append(args, limit+1)
	items, err := queryDocs[inbox.Contact](t, "list contacts",
		`SELECT doc, created_at FROM contacts WHERE `+strings.Join(where, " AND ")+` ORDER BY name, id LIMIT ?`, args...)
	if err != nil {
		return inbox.ContactPage{}, err
	}
	page := inbox.ContactPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		last := page.Items[limit-1]
		raw, _ := json.Marshal([2]string{last.Name, last.ID})
		page.NextCursor = base64.RawURLEncoding.EncodeToString(raw)
	}
	return page, nil
}

// DeleteContact removes a contact and its identities.
func (t *tx) DeleteContact(id string) error {
	if err := t.usable(true); err != nil {
		return err
	}
	res, err := t.exec("delete contact", `DELETE FROM contacts WHERE tenant_id = ? AND id = ?`, string(t.tenant), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete contact %q: %w", id, inbox.ErrNotFound)
	}
	_, err = t.exec("delete contact", `DELETE FROM contact_keys WHERE tenant_id = ? AND contact_id = ?`, string(t.tenant), id)
	return err
}

// likeEscape makes s match literally inside a LIKE pattern with ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
