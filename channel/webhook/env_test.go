package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/blob"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// manualClock is a settable inbox.Clock.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// flakyStore fails every write transaction while failing is set, like a
// full disk or a lost database connection.
type flakyStore struct {
	inbox.Store
	failing atomic.Bool
}

func (s *flakyStore) Update(ctx context.Context, tenant inbox.TenantID, fn func(tx inbox.Tx) error) error {
	if s.failing.Load() {
		return errors.New("database is unreachable")
	}
	return s.Store.Update(ctx, tenant, fn)
}

// trackingBlobs records which blob keys are live, so tests can check
// that refused or duplicate messages leave no files behind.
type trackingBlobs struct {
	*blob.Memory
	mu   sync.Mutex
	live map[string]bool
}

func (b *trackingBlobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	n, err := b.Memory.Put(ctx, key, r)
	if err == nil {
		b.mu.Lock()
		b.live[key] = true
		b.mu.Unlock()
	}
	return n, err
}

func (b *trackingBlobs) Delete(ctx context.Context, key string) error {
	b.mu.Lock()
	delete(b.live, key)
	b.mu.Unlock()
	return b.Memory.Delete(ctx, key)
}

func (b *trackingBlobs) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.live)
}

// testEnv is an engine over memstore with an in-memory blob store.
type testEnv struct {
	eng   *inbox.Engine
	store *flakyStore
	blobs *trackingBlobs
	clock *manualClock
}

const testTenant inbox.TenantID = "t1"

func newTestEnv(t *testing.T, now time.Time) *testEnv {
	t.Helper()
	ms := memstore.New()
	require.NoError(t, ms.CreateTenant(context.Background(), &inbox.Tenant{ID: testTenant, Name: "Acme"}))
	env := &testEnv{store: &flakyStore{Store: ms}, blobs: &trackingBlobs{Memory: blob.NewMemory(), live: map[string]bool{}}, clock: &manualClock{t: now}}
	eng, err := inbox.New(inbox.Options{Store: env.store, Blobs: env.blobs, Clock: env.clock})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	env.eng = eng
	return env
}

// messages returns every message of the tenant, oldest first.
func (e *testEnv) messages(t *testing.T) []inbox.Message {
	t.Helper()
	var out []inbox.Message
	require.NoError(t, e.store.View(context.Background(), testTenant, func(tx inbox.Tx) error {
		page, err := tx.ListConversations(inbox.ConversationQuery{Limit: 500})
		if err != nil {
			return err
		}
		for _, c := range page.Items {
			msgs, err := tx.ListMessages(c.ID)
			if err != nil {
				return err
			}
			out = append(out, msgs...)
		}
		return nil
	}))
	return out
}

// successful send.
func (e *testEnv) message(t *testing.T, id string) inbox.Message {
	t.Helper()
	var m inbox.Message
	require.NoError(t, e.store.View(context.Background(), testTenant, func(tx inbox.Tx) error {
		var err error
		m, err = tx.GetMessage(id)
		return err
	}))
	return m
}

// decodeReply reads a webhook JSON answer.
func decodeReply(t *testing.T, rec *httptest.ResponseRecorder) reply {
	t.Helper()
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var r reply
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &r), rec.Body.String())
	return r
}

// expectedStatus is the HTTP status a refused vector must get.
// invalid_secret is a configuration error: 500, so the sender retries
// once it is fixed.
func expectedStatus(class string) int {
	switch class {
	case "empty_body":
		return 400
	case "body_too_large":
		return 413
	case "replay":
		return 200
	case "invalid_secret":
		return 500
	}
	return 401
}
