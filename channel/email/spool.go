package email

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/inboxkit/inboxkit/inbox"
)

// spoolBlobs is a BlobStore that accepts bytes at once, spooling them to a
// temporary file, and writes them to the real store in the background,
// several at a time. Durable stores sync every blob to disk, which costs
// milliseconds each; writing a batch's blobs in parallel instead of one
// after the other is what lets a first sync keep up with the network.
// Flush waits for every pending write and must succeed before the batch
// that refers to the blobs is committed.
type spoolBlobs struct {
	store inbox.BlobStore
	dir   string
	sem   chan struct{}

	mu      sync.Mutex
	wg      sync.WaitGroup
	pending map[string]chan struct{}
	err     error
}

var _ inbox.BlobStore = (*spoolBlobs)(nil)

func newSpoolBlobs(store inbox.BlobStore, dir string, concurrency int) *spoolBlobs {
	return &spoolBlobs{store: store, dir: dir, sem: make(chan struct{}, concurrency), pending: map[string]chan struct{}{}}
}

// Put spools r and schedules the write; errors of the write are reported
// by Flush.
func (s *spoolBlobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	f, err := os.CreateTemp(s.dir, "inboxkit-spool-*")
	if err != nil {
		return 0, fmt.Errorf("spool blob: %w", err)
	}
	name := f.Name()
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return n, err
	}
	done := make(chan struct{})
	s.mu.Lock()
	s.pending[key] = done
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(done)
		defer os.Remove(name)
		s.sem <- struct{}{}
		defer func() { <-s.sem }()
		err := s.write(ctx, key, name)
		s.mu.Lock()
		delete(s.pending, key)
		if err != nil && s.err == nil {
			s.err = err
		}
		s.mu.Unlock()
	}()
	return n, nil
}

func (s *spoolBlobs) write(ctx context.Context, key, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = s.store.Put(ctx, key, f)
	return err
}

// wait blocks until a pending write of key is over.
func (s *spoolBlobs) wait(key string) {
	s.mu.Lock()
	done := s.pending[key]
	s.mu.Unlock()
	if done != nil {
		<-done
	}
}

// Get reads from the store once a pending write of key is over.
func (s *spoolBlobs) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	s.wait(key)
	return s.store.Get(ctx, key)
}

// Delete removes key from the store once a pending write of it is over.
func (s *spoolBlobs) Delete(ctx context.Context, key string) error {
	s.wait(key)
	return s.store.Delete(ctx, key)
}

// Flush waits for every pending write and returns the first failure
// since the last Flush.
func (s *spoolBlobs) Flush() error {
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.err
	s.err = nil
	if err != nil {
		return fmt.Errorf("store blobs: %w", err)
	}
	return nil
}
