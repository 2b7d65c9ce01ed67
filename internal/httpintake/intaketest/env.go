package intaketest

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
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/httpintake"
	"github.com/inboxkit/inboxkit/storage/blob"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// ManualClock is a settable inbox.Clock.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// Now implements inbox.Clock.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// FlakyStore fails every write transaction while Failing is set, like a
// full disk or a lost database connection.
type FlakyStore struct {
	driver.Store
	Failing atomic.Bool
}

// Update implements driver.Store, failing while Failing is set.
func (s *FlakyStore) Update(ctx context.Context, tenant inbox.TenantID, fn func(tx driver.Tx) error) error {
	if s.Failing.Load() {
		return errors.New("database is unreachable")
	}
	return s.Store.Update(ctx, tenant, fn)
}

// TrackingBlobs records which blob keys are live, so tests can check
// that refused or duplicate messages leave no files behind.
type TrackingBlobs struct {
	*blob.Memory
	mu   sync.Mutex
	live map[string]bool
}

// Put implements inbox.BlobStore and records key as live.
func (b *TrackingBlobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	n, err := b.Memory.Put(ctx, key, r)
	if err == nil {
		b.mu.Lock()
		b.live[key] = true
		b.mu.Unlock()
	}
	return n, err
}

// Delete implements inbox.BlobStore and forgets key.
func (b *TrackingBlobs) Delete(ctx context.Context, key string) error {
	b.mu.Lock()
	delete(b.live, key)
	b.mu.Unlock()
	return b.Memory.Delete(ctx, key)
}

// Count returns how many blobs are live.
func (b *TrackingBlobs) Count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.live)
}

// Tenant is the tenant every Env holds.
const Tenant inbox.TenantID = "t1"

// Env is an engine over memstore with an in-memory blob store.
type Env struct {
	Eng   *inbox.Engine
	Store *FlakyStore
	Blobs *TrackingBlobs
	Clock *ManualClock
}

// NewEnv returns an Env whose clock reads now, with Tenant created; the
// engine is closed when the test ends.
func NewEnv(t *testing.T, now time.Time) *Env {
	t.Helper()
	ms := memstore.New()
	require.NoError(t, ms.CreateTenant(context.Background(), &inbox.Tenant{ID: Tenant, Name: "Acme"}))
	env := &Env{Store: &FlakyStore{Store: ms}, Blobs: &TrackingBlobs{Memory: blob.NewMemory(), live: map[string]bool{}}, Clock: &ManualClock{t: now}}
	eng, err := inbox.New(inbox.Options{Store: env.Store, Blobs: env.Blobs, Clock: env.Clock})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	env.Eng = eng
	return env
}

// Messages returns every message of the tenant, oldest first.
func (e *Env) Messages(t *testing.T) []inbox.Message {
	t.Helper()
	var out []inbox.Message
	require.NoError(t, e.Store.View(context.Background(), Tenant, func(tx driver.Tx) error {
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

// Message returns the tenant's message id.
func (e *Env) Message(t *testing.T, id string) inbox.Message {
	t.Helper()
	var m inbox.Message
	require.NoError(t, e.Store.View(context.Background(), Tenant, func(tx driver.Tx) error {
		var err error
		m, err = tx.GetMessage(id)
		return err
	}))
	return m
}

// DecodeReply reads a receiver's JSON answer.
func DecodeReply(t *testing.T, rec *httptest.ResponseRecorder) httpintake.Reply {
	t.Helper()
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var r httpintake.Reply
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &r), rec.Body.String())
	return r
}
