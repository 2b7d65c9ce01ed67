package inbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/inboxtest"
	"github.com/inboxkit/inboxkit/storage/blob"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// TestCollectOrphanBlobs plays what a process killed between writing a
// batch's files and committing it leaves behind, and checks that only
// those files go: never a file a message or a quarantined item refers
// to, a file still young enough to be committed, or a host's own blob.
func TestCollectOrphanBlobs(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	// "a.b" and "a_b" share the key prefix "a_b".
	for _, id := range []inbox.TenantID{"a.b", "a_b"} {
		require.NoError(t, store.CreateTenant(ctx, &inbox.Tenant{ID: id}))
	}
	blobs, err := blob.Dir(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = blobs.Close() })
	clock := inboxtest.NewClock(time.Now())
	eng, err := inbox.New(inbox.Options{Store: store, Blobs: blobs, Clock: clock})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })

	write := func(tenant inbox.TenantID, kind string) string {
		key := inbox.NewBlobKey(tenant, kind)
		_, err := blobs.Put(ctx, key, strings.NewReader("bytes of "+key))
		require.NoError(t, err)
		return key
	}
	kept := map[string]bool{}
	ingest := func(tenant inbox.TenantID, in inbox.Inbound) {
		res, err := eng.Ingest(ctx, tenant, []inbox.Inbound{in})
		require.NoError(t, err)
		require.Equal(t, 1, res.Stored+res.Quarantined, "%+v", res)
	}
	mail := func(tenant inbox.TenantID, id string) inbox.Inbound {
		raw, file := write(tenant, inbox.BlobKindRaw), write(tenant, inbox.BlobKindAttachment)
		kept[raw], kept[file] = true, true
		return inbox.Inbound{Source: inbox.SourceEmail, IntegrationID: "mbox", ProviderID: id, MessageID: id + "@x.example",
			From: inbox.Party{Email: "client@x.example"}, Subject: "Facture " + id, Text: "Bonjour", RawKey: raw,
			Attachments: []inbox.Attachment{{Filename: "facture.pdf", ContentType: "application/pdf", Size: 10, BlobKey: file}}}
	}
	ingest("a.b", mail("a.b", "m1"))
	ingest("a_b", mail("a_b", "m2"))
	unreadable := write("a.b", inbox.BlobKindRaw)
	kept[unreadable] = true
	ingest("a.b", inbox.Inbound{Source: inbox.SourceEmail, IntegrationID: "mbox", ProviderID: "m3", ParseError: "multipart: NextPart: EOF", RawKey: unreadable})
	hostBlob := write("a.b", "avatar")
	kept[hostBlob] = true

	// The batch a crash interrupted: its files were written, its
	// transaction never committed.
	orphans := []string{write("a.b", inbox.BlobKindRaw), write("a.b", inbox.BlobKindAttachment), write("a_b", inbox.BlobKindRaw)}

	list := func() map[string]bool {
		got := map[string]bool{}
		require.NoError(t, blobs.ListBlobs(ctx, "", func(k string) error { got[k] = true; return nil }))
		return got
	}
	require.Len(t, list(), len(kept)+len(orphans))

	// Within the grace period the batch might still commit: nothing goes.
	report, err := eng.CollectOrphanBlobs(ctx, inbox.OrphanOptions{})
	require.NoError(t, err)
	require.Zero(t, report.Removed)
	require.Len(t, list(), len(kept)+len(orphans))

	clock.Advance(2 * time.Hour)
	report, err = eng.CollectOrphanBlobs(ctx, inbox.OrphanOptions{})
	require.NoError(t, err)
	require.Equal(t, len(orphans), report.Removed)
	require.Equal(t, len(kept)-1+len(orphans), report.Examined, "the engine's kinds are examined, the host's are not")
	require.Equal(t, kept, list(), "only the orphans are gone")

	// Collecting again from where the last one stopped finds nothing.
	report, err = eng.CollectOrphanBlobs(ctx, inbox.OrphanOptions{Since: report.Until})
	require.NoError(t, err)
	require.Zero(t, report.Examined)
}

// TestCollectOrphanBlobsNeedsAListingStore checks that a BlobStore that
// cannot list its keys is reported, not silently skipped.
func TestCollectOrphanBlobsNeedsAListingStore(t *testing.T) {
	eng, err := inbox.New(inbox.Options{Store: memstore.New(), Blobs: putOnly{blob.NewMemory()}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	_, err = eng.CollectOrphanBlobs(context.Background(), inbox.OrphanOptions{})
	require.ErrorIs(t, err, errors.ErrUnsupported)
}

// putOnly hides every optional capability of a BlobStore.
type putOnly struct{ inbox.BlobStore }
