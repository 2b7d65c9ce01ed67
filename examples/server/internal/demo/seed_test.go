package demo_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/channel/vonage"
	"github.com/inboxkit/inboxkit/channel/webhook"
	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/examples/server/internal/demo"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/seal"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// schemaEngine is an engine with the reference server's integration
// schemas and, when sealer is set, a Sealer.
func schemaEngine(t *testing.T, sealer inbox.Sealer) *inbox.Engine {
	t.Helper()
	eng, err := inbox.New(inbox.Options{Store: memstore.New(), Sealer: sealer, Schemas: map[inbox.Source]inbox.IntegrationSchema{
		inbox.SourceEmail:    demo.SandboxSchema(email.Schema),
		inbox.SourceSMS:      demo.SandboxSchema(vonage.SMSSchema),
		inbox.SourceWhatsApp: demo.SandboxSchema(vonage.WhatsAppSchema),
		inbox.SourceWebhook:  demo.SandboxSchema(webhook.Schema),
	}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	return eng
}

func accounts(t *testing.T) *auth.Directory {
	t.Helper()
	dir, err := auth.OpenDirectory(auth.DirectoryOptions{BcryptCost: bcrypt.MinCost})
	require.NoError(t, err)
	return dir
}

// TestSeedFollowsTheIntegrationSchemas seeds through the Engine with the
// server's schemas: every demo integration has its required settings and
// secrets, so an admin can edit it, and the web form's secret is the one
// given, sealed.
func TestSeedFollowsTheIntegrationSchemas(t *testing.T) {
	ctx := context.Background()
	sealer, err := seal.New(seal.Options{Keys: []seal.Key{{ID: "k1", Material: bytes.Repeat([]byte{3}, seal.KeySize)}}})
	require.NoError(t, err)
	eng := schemaEngine(t, sealer)
	secret, err := webhook.NewSecret()
	require.NoError(t, err)
	res, err := demo.Seed(ctx, demo.Options{Engine: eng, Accounts: accounts(t), WebhookSecret: secret.Encode()})
	require.NoError(t, err)
	require.True(t, res.Seeded)
	require.Len(t, res.Integrations, 4)

	for kind, id := range res.Integrations {
		in, err := eng.UpdateIntegration(ctx, demo.TenantID, id, inbox.IntegrationChange{Name: ptr("Renamed " + string(kind))}, inbox.Change{Actor: "claire"})
		require.NoError(t, err, kind)
		require.Equal(t, "true", in.Config[demo.ConfigSandbox])
	}
	form, err := eng.Integration(ctx, demo.TenantID, res.Integrations[inbox.SourceWebhook])
	require.NoError(t, err)
	opened, err := sealer.Open(ctx, form.Secrets[webhook.SecretSigning], inbox.SealContext{Tenant: demo.TenantID, IntegrationID: form.ID, Field: webhook.SecretSigning})
	require.NoError(t, err)
	require.Equal(t, secret.Encode(), string(opened))

	folders, err := eng.Folders(ctx, demo.TenantID)
	require.NoError(t, err)
	require.NotEmpty(t, folders)
	audit, err := eng.Audit(ctx, demo.TenantID, inbox.AuditQuery{Limit: 1000})
	require.NoError(t, err)
	created := map[string]int{}
	for _, e := range audit {
		created[e.Action]++
	}
	require.Equal(t, 1, created["tenant.create"])
	require.Equal(t, len(folders), created["folder.create"])
	require.Equal(t, 4, created["integration.create"])
}

// TestSeedWithoutSealer: an engine that cannot keep secrets gets the
// demo integrations that need none.
func TestSeedWithoutSealer(t *testing.T) {
	ctx := context.Background()
	eng := schemaEngine(t, nil)
	res, err := demo.Seed(ctx, demo.Options{Engine: eng, Accounts: accounts(t)})
	require.NoError(t, err)
	require.True(t, res.Seeded)
	require.Equal(t, []inbox.Source{inbox.SourceEmail}, keys(res.Integrations))
	again, err := demo.Seed(ctx, demo.Options{Engine: eng, Accounts: accounts(t)})
	require.NoError(t, err)
	require.False(t, again.Seeded)
}

func keys(m map[inbox.Source]string) []inbox.Source {
	var out []inbox.Source
	for k := range m {
		out = append(out, k)
	}
	return out
}

func ptr[T any](v T) *T { return &v }
