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
