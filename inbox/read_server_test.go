package inbox_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

func TestContactRecord(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	res := e.ingest(email("m1", "ada@example.com", "Facture", "Ma facture"))
	conv := e.conversation(res.Items[0].ConversationID)

	c, err := e.engine.ContactRecord(e.ctx, tenantA, conv.ContactID)
	require.NoError(t, err)
	require.Equal(t, conv.ContactID, c.ID)
	require.Equal(t, []string{"ada@example.com"}, c.Emails)

	var nf *inbox.NotFoundError
	_, err = e.engine.ContactRecord(e.ctx, tenantA, "nope")
	require.ErrorAs(t, err, &nf)
	require.Equal(t, "contact", nf.Entity)
	require.Equal(t, "nope", nf.ID)
	require.NoError(t, e.store.CreateTenant(e.ctx, &inbox.Tenant{ID: "globex", Name: "Globex"}))
	_, err = e.engine.ContactRecord(e.ctx, "globex", conv.ContactID)
	require.ErrorAs(t, err, &nf, "another tenant's contact is missing, not shown")
	require.Equal(t, "contact", nf.Entity)
	_, err = e.engine.ContactRecord(e.ctx, "nobody", conv.ContactID)
	require.ErrorAs(t, err, &nf)
	require.Equal(t, "tenant", nf.Entity)
}

func TestContactsByID(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	res := e.ingest(email("m1", "ada@example.com", "Facture", "Ma facture"), sms("s1", "+33612345678", "Bonjour"))
	ada := e.conversation(res.Items[0].ConversationID).ContactID
	bob := e.conversation(res.Items[1].ConversationID).ContactID

	got, err := e.engine.ContactsByID(e.ctx, tenantA, []string{ada, bob, ada, "", "nope"})
	require.NoError(t, err)
	require.Len(t, got, 2, "missing and empty ids are absent")
	require.Equal(t, []string{"ada@example.com"}, got[ada].Emails)
	require.Equal(t, bob, got[bob].ID)

	require.NoError(t, e.store.CreateTenant(e.ctx, &inbox.Tenant{ID: "globex", Name: "Globex"}))
	got, err = e.engine.ContactsByID(e.ctx, "globex", []string{ada, bob})
	require.NoError(t, err)
	require.Empty(t, got, "another tenant's contacts are not shown")
	var nf *inbox.NotFoundError
	_, err = e.engine.ContactsByID(e.ctx, "nobody", []string{ada})
	require.ErrorAs(t, err, &nf)
	require.Equal(t, "tenant", nf.Entity)
}
