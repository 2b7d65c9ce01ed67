package httpintake_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/internal/httpintake"
	"github.com/inboxkit/inboxkit/internal/httpintake/intaketest"
)

func inbound(providerID string) inbox.Inbound {
	return inbox.Inbound{IntegrationID: "int-1", Source: inbox.SourceWebhook, ProviderID: providerID,
		From: inbox.Party{ID: "cust_1"}, Text: "Bonjour", SentAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

// putPending writes one file and tracks it as pending.
func putPending(t *testing.T, env *intaketest.Env, p *httpintake.PendingFiles) inbox.Attachment {
	t.Helper()
	key := inbox.NewBlobKey(intaketest.Tenant, "attachment")
	n, err := env.Blobs.Put(context.Background(), key, strings.NewReader("hello"))
	require.NoError(t, err)
	att := inbox.Attachment{ID: inbox.NewID(), Filename: "a.txt", ContentType: "text/plain", Size: n, BlobKey: key}
	p.Add(att)
	p.Add(inbox.Attachment{ID: inbox.NewID(), Rejected: "refused files have no blob"})
	return att
}

func TestPendingFilesIngest(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	env := intaketest.NewEnv(t, now)
	log := slog.New(slog.DiscardHandler)

	// Stored: the file stays.
	p := httpintake.NewPendingFiles(env.Blobs, log, "delete unused file")
	in := inbound("crm-1")
	in.Attachments = []inbox.Attachment{putPending(t, env, p)}
	item, err := p.Ingest(ctx, env.Eng, intaketest.Tenant, in)
	require.NoError(t, err)
	require.Equal(t, inbox.IngestStored, item.Status)
	require.Equal(t, 1, env.Blobs.Count())

	id, ok, err := httpintake.StoredMessage(ctx, env.Eng, intaketest.Tenant, "int-1", "crm-1")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, item.MessageID, id)
	_, ok, err = httpintake.StoredMessage(ctx, env.Eng, intaketest.Tenant, "int-1", "crm-2")
	require.NoError(t, err)
	require.False(t, ok)

	// Duplicate: its new file is removed.
	p = httpintake.NewPendingFiles(env.Blobs, log, "delete unused file")
	in = inbound("crm-1")
	in.Attachments = []inbox.Attachment{putPending(t, env, p)}
	item, err = p.Ingest(ctx, env.Eng, intaketest.Tenant, in)
	require.NoError(t, err)
	require.Equal(t, inbox.IngestDuplicate, item.Status)
	require.Equal(t, 1, env.Blobs.Count())

	// Storage failure: the file is removed and the error returned.
	env.Store.Failing.Store(true)
	p = httpintake.NewPendingFiles(env.Blobs, log, "delete unused file")
	in = inbound("crm-3")
	in.Attachments = []inbox.Attachment{putPending(t, env, p)}
	_, err = p.Ingest(ctx, env.Eng, intaketest.Tenant, in)
	require.Error(t, err)
	require.Equal(t, 1, env.Blobs.Count())
}

// failingDelete is a blob store whose deletions fail.
type failingDelete struct{ inbox.BlobStore }

func (failingDelete) Delete(context.Context, string) error { return errors.New("disk gone") }

func TestPendingFilesDiscardLogsFailures(t *testing.T) {
	env := intaketest.NewEnv(t, time.Now())
	var logs strings.Builder
	p := httpintake.NewPendingFiles(failingDelete{env.Blobs}, slog.New(slog.NewTextHandler(&logs, nil)), "test: delete unused file")
	putPending(t, env, p)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.Discard(ctx)
	require.Contains(t, logs.String(), `msg="test: delete unused file" err="disk gone"`)
}
