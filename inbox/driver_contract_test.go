package inbox_test

import (
	"strings"
	"testing"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// The engine cannot import package driver (driver imports inbox for its
// records), so it holds its own, unexported view of the same interfaces.
// Assigning each way compiles only when the method sets are equal: a
// method added to one and not the other breaks this file's build.
var (
	_ inbox.StoreTx            = driver.Tx(nil)
	_ driver.Tx                = inbox.StoreTx(nil)
	_ inbox.ParallelWriterView = driver.ParallelWriter(nil)
	_ driver.ParallelWriter    = inbox.ParallelWriterView(nil)
	_ inbox.LeaserView         = driver.Leaser(nil)
	_ driver.Leaser            = inbox.LeaserView(nil)
	_ inbox.StatsTxView        = driver.StatsTx(nil)
	_ driver.StatsTx           = inbox.StatsTxView(nil)
	// Every driver.Store is a store the engine can use; Update and View
	// are reached through package driver.
	_ inbox.StoreAPI = driver.Store(nil)
	_ inbox.Store    = driver.Store(nil)
)

// TestDriverContractMatchesEngineView: the engine accepts a driver.Store and
// refuses, with an error that says why, a value that only looks like one.
func TestDriverContractMatchesEngineView(t *testing.T) {
	if _, err := inbox.New(inbox.Options{Store: memstore.New()}); err != nil {
		t.Fatalf("memstore: %v", err)
	}
	_, err := inbox.New(inbox.Options{Store: closeOnly{}})
	if err == nil {
		t.Fatal("a value that is not a driver.Store was accepted")
	}
	const want = "does not implement driver.Store"
	if got := err.Error(); !strings.Contains(got, want) {
		t.Fatalf("error %q does not say %q", got, want)
	}
}

type closeOnly struct{}

func (closeOnly) Close() error { return nil }
