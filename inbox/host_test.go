package inbox_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/seal"
)

// testChannel is a channel whose connection test fails on demand.
type testChannel struct {
	kind inbox.Source
	fail error
}

func (c *testChannel) Kind() inbox.Source    { return c.kind }
func (c *testChannel) IntegrationID() string { return "" }
func (c *testChannel) TestConnection(context.Context) error {
	return c.fail
}

var chatSchema = inbox.IntegrationSchema{Fields: []inbox.IntegrationField{
	{Name: "endpoint", Required: true},
	{Name: "token", Secret: true, Required: true},
	{Name: "room"},
}}

func newHostEnv(t *testing.T, testErr error) *env {
	key := seal.Key{ID: "k1", Material: bytes.Repeat([]byte{7}, 32)}
	sealer, err := seal.New(seal.Options{Keys: []seal.Key{key}})
	require.NoError(t, err)
	return newEnv(t, inbox.Options{
		Sealer: sealer,
		Channels: map[inbox.Source]inbox.ChannelFactory{
			"chat": func(ctx context.Context, in inbox.Integration, secret inbox.SecretFunc) (inbox.Channel, error) {
				tok, err := secret("token")
				if err != nil {
					return nil, err
				}
				if string(tok) != "s3cret" {
					return nil, inbox.ErrUnauthorized
				}
				return &testChannel{kind: "chat", fail: testErr}, nil
			},
		},
		Schemas: map[inbox.Source]inbox.IntegrationSchema{"chat": chatSchema},
	})
}

func ptr[T any](v T) *T { return &v }

func TestIntegrationsFollowTheirKindsSchema(t *testing.T) {
	e := newHostEnv(t, nil)
	admin := inbox.Change{Actor: "admin-1"}
	create := func(c inbox.IntegrationChange) (inbox.Integration, error) {
		return e.engine.CreateIntegration(e.ctx, tenantA, c, admin)
	}
	for name, tc := range map[string]struct {
		change inbox.IntegrationChange
		field  string
	}{
		"unregistered kind":    {inbox.IntegrationChange{Kind: "fax", Name: ptr("Fax")}, "kind"},
		"bad kind name":        {inbox.IntegrationChange{Kind: "Fax!", Name: ptr("Fax")}, "kind"},
		"no name":              {inbox.IntegrationChange{Kind: "chat"}, "name"},
		"missing secret":       {inbox.IntegrationChange{Kind: "chat", Name: ptr("Chat"), Config: map[string]string{"endpoint": "https://x"}}, "secrets.token"},
		"missing setting":      {inbox.IntegrationChange{Kind: "chat", Name: ptr("Chat"), Secrets: map[string]string{"token": "s3cret"}}, "config.endpoint"},
		"secret in config":     {inbox.IntegrationChange{Kind: "chat", Name: ptr("Chat"), Config: map[string]string{"endpoint": "x", "token": "s3cret"}}, "config.token"},
		"undeclared setting":   {inbox.IntegrationChange{Kind: "chat", Name: ptr("Chat"), Config: map[string]string{"endpoint": "x", "imap_pass": "p"}}, "config.imap_pass"},
		"undeclared secret":    {inbox.IntegrationChange{Kind: "chat", Name: ptr("Chat"), Config: map[string]string{"endpoint": "x"}, Secrets: map[string]string{"token": "s3cret", "room": "r"}}, "secrets.room"},
		"key with upper case":  {inbox.IntegrationChange{Kind: "chat", Name: ptr("Chat"), Config: map[string]string{"Endpoint": "x"}}, "config.Endpoint"},
		"NUL in a setting":     {inbox.IntegrationChange{Kind: "chat", Name: ptr("Chat"), Config: map[string]string{"endpoint": "x\x00"}}, "config.endpoint"},
		"name only whitespace": {inbox.IntegrationChange{Kind: "chat", Name: ptr("  ")}, "name"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := create(tc.change)
			var fe *inbox.FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tc.field, fe.Field)
		})
	}
	ins, err := e.engine.Integrations(e.ctx, tenantA)
	require.NoError(t, err)
	require.Empty(t, ins, "nothing refused was stored")

	in, err := create(inbox.IntegrationChange{Kind: "chat", Name: ptr(" Website chat "), Config: map[string]string{"endpoint": "https://chat.example"},
		Secrets: map[string]string{"token": "s3cret"}, Test: true})
	require.NoError(t, err)
	require.Equal(t, "Website chat", in.Name)
	require.NotContains(t, string(in.Secrets["token"]), "s3cret", "secrets are sealed")
	audit, err := e.engine.Audit(e.ctx, tenantA, inbox.AuditQuery{})
	require.NoError(t, err)
	require.Len(t, audit, 1)
	require.Equal(t, "integration.create", audit[0].Action)
	require.Equal(t, "admin-1", audit[0].Actor)
	require.NotContains(t, string(audit[0].After), "s3cret")
	require.Contains(t, string(audit[0].After), `"secrets_set":["token"]`)

	// A stale version is refused; a current one applies.
	_, err = e.engine.UpdateIntegration(e.ctx, tenantA, in.ID, inbox.IntegrationChange{Name: ptr("Chat")}, inbox.Change{Actor: "admin-1", Version: in.Version + 1})
	require.ErrorIs(t, err, inbox.ErrConflict)
	up, err := e.engine.UpdateIntegration(e.ctx, tenantA, in.ID, inbox.IntegrationChange{Name: ptr("Chat"), Config: map[string]string{"room": "sales"}},
		inbox.Change{Actor: "admin-1", Version: in.Version})
	require.NoError(t, err)
	require.Equal(t, "sales", up.Config["room"])
	require.Equal(t, in.Secrets["token"], up.Secrets["token"], "absent secrets are kept")
	_, err = e.engine.UpdateIntegration(e.ctx, tenantA, in.ID, inbox.IntegrationChange{Kind: "email"}, admin)
	require.ErrorIs(t, err, inbox.ErrInvalid)
	_, err = e.engine.UpdateIntegration(e.ctx, tenantA, in.ID, inbox.IntegrationChange{Secrets: map[string]string{"token": ""}}, admin)
	require.ErrorIs(t, err, inbox.ErrInvalid, "a required secret cannot be removed")

	require.NoError(t, e.engine.TestIntegration(e.ctx, tenantA, in.ID))
	require.NoError(t, e.engine.DeleteIntegration(e.ctx, tenantA, in.ID, admin))
	_, err = e.engine.Integration(e.ctx, tenantA, in.ID)
	var nf *inbox.NotFoundError
	require.ErrorAs(t, err, &nf)
	require.Equal(t, "integration", nf.Entity)
	require.ErrorIs(t, err, inbox.ErrNotFound)
}

func TestCreateIntegrationTestsTheConnectionFirst(t *testing.T) {
	refused := errors.New("530 authentication failed")
	e := newHostEnv(t, refused)
	_, err := e.engine.CreateIntegration(e.ctx, tenantA, inbox.IntegrationChange{Kind: "chat", Name: ptr("Chat"),
		Config: map[string]string{"endpoint": "x"}, Secrets: map[string]string{"token": "s3cret"}, Test: true}, inbox.Change{Actor: "a"})
	require.ErrorIs(t, err, refused)
	_, err = e.engine.CreateIntegration(e.ctx, tenantA, inbox.IntegrationChange{Kind: "chat", Name: ptr("Chat"),
		Config: map[string]string{"endpoint": "x"}, Secrets: map[string]string{"token": "wrong"}, Test: true}, inbox.Change{Actor: "a"})
	require.ErrorIs(t, err, inbox.ErrUnauthorized)
	ins, err := e.engine.Integrations(e.ctx, tenantA)
	require.NoError(t, err)
	require.Empty(t, ins, "a failed test saves nothing")
}

func TestTenantsThroughTheEngine(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	admin := inbox.Change{Actor: "root"}
	created, err := e.engine.CreateTenant(e.ctx, inbox.Tenant{ID: "globex", Name: " Globex "}, admin)
	require.NoError(t, err)
	require.Equal(t, "Globex", created.Name)
	_, err = e.engine.CreateTenant(e.ctx, inbox.Tenant{ID: "globex", Name: "Again"}, admin)
	require.ErrorIs(t, err, inbox.ErrConflict)
	_, err = e.engine.CreateTenant(e.ctx, inbox.Tenant{ID: "../etc", Name: "x"}, admin)
	require.ErrorIs(t, err, inbox.ErrInvalid)
	gen, err := e.engine.CreateTenant(e.ctx, inbox.Tenant{Name: "Initech"}, admin)
	require.NoError(t, err)
	require.NotEmpty(t, gen.ID)

	renamed, err := e.engine.RenameTenant(e.ctx, "globex", "Globex Corp", admin)
	require.NoError(t, err)
	require.Equal(t, "Globex Corp", renamed.Name)
	audit, err := e.engine.Audit(e.ctx, "globex", inbox.AuditQuery{})
	require.NoError(t, err)
	require.Len(t, audit, 2)
	require.Equal(t, "tenant.rename", audit[0].Action)

	all, err := e.engine.Tenants(e.ctx)
	require.NoError(t, err)
	require.Len(t, all, 3)
	_, err = e.engine.Tenant(e.ctx, "nobody")
	require.ErrorIs(t, err, inbox.ErrNotFound)
	_, err = e.engine.Conversations(e.ctx, "nobody", inbox.ConversationQuery{})
	require.ErrorIs(t, err, inbox.ErrNotFound)
}

func TestReadAPINamesWhatIsMissing(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	res := e.ingest(email("m1", "ada@example.com", "Facture", "Ma facture"))
	conv := res.Items[0].ConversationID
	msgs, err := e.engine.Messages(e.ctx, tenantA, conv)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	page, err := e.engine.Conversations(e.ctx, tenantA, inbox.ConversationQuery{Search: "from:ada facture"})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	_, err = e.engine.Conversations(e.ctx, tenantA, inbox.ConversationQuery{Search: "status:done"})
	require.ErrorIs(t, err, inbox.ErrInvalid)

	var nf *inbox.NotFoundError
	_, err = e.engine.Messages(e.ctx, tenantA, "nope")
	require.ErrorAs(t, err, &nf)
	require.Equal(t, "conversation", nf.Entity)
	_, err = e.engine.Message(e.ctx, tenantA, "nope")
	require.ErrorAs(t, err, &nf)
	require.Equal(t, "message", nf.Entity)
	_, err = e.engine.Folder(e.ctx, tenantA, "nope")
	require.ErrorAs(t, err, &nf)
	require.Equal(t, "folder", nf.Entity)
}
