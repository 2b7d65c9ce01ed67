package blob

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/inboxkit/inboxkit/inbox"
)

// Memory is an in-memory inbox.BlobStore for tests and demos. It is safe
// for concurrent use. Put reads the whole value before storing it, so a
// failed read stores nothing.
type Memory struct {
	mu    sync.RWMutex
	blobs map[string][]byte
}

var (
	_ inbox.BlobStore   = (*Memory)(nil)
	_ inbox.BlobBatcher = (*Memory)(nil)
)

// NewMemory returns an empty Memory store.
func NewMemory() *Memory { return &Memory{blobs: make(map[string][]byte)} }

// Put stores r's bytes under key, replacing any previous value.
func (m *Memory) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := ValidateKey(key); err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, contextReader{ctx: ctx, r: r})
	if err != nil {
		return 0, fmt.Errorf("blob: put %s: %w", key, err)
	}
	m.mu.Lock()
	m.blobs[key] = buf.Bytes()
	m.mu.Unlock()
	return n, nil
}

// Stage is Put: a Memory store is never durable, so there is nothing
// to defer. It lets code written for inbox.BlobBatcher run on it.
func (m *Memory) Stage(ctx context.Context, key string, r io.Reader) (int64, error) {
	return m.Put(ctx, key, r)
}

// Sync has nothing to do; it fails only when ctx has ended.
func (m *Memory) Sync(ctx context.Context) error { return ctx.Err() }

// Get returns a reader over the bytes under key, or an error wrapping
// inbox.ErrNotFound.
func (m *Memory) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	b, ok := m.blobs[key]
	m.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("blob: get %s: %w", key, inbox.ErrNotFound)
	}
	// Stored slices are never written again, so readers can share them.
	return io.NopCloser(bytes.NewReader(b)), nil
}

// Delete removes key; a missing key is not an error.
func (m *Memory) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	delete(m.blobs, key)
	m.mu.Unlock()
	return nil
}

// contextReader stops a copy when ctx ends, so a Put from a stalled or
// endless source can be cancelled.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

var _ inbox.BlobLister = (*Memory)(nil)

// ListBlobs calls fn with every key that starts with prefix. fn may use
// the store.
func (m *Memory) ListBlobs(ctx context.Context, prefix string, fn func(key string) error) error {
	m.mu.RLock()
	var keys []string
	for k := range m.blobs {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	m.mu.RUnlock()
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(k); err != nil {
			return err
		}
	}
	return nil
}
