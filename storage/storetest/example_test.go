package storetest_test

import (
	"testing"

	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/memstore"
	"github.com/inboxkit/inboxkit/storage/storetest"
)

// A store proves it keeps the driver.Store contract by running the suite
// from its own test, with a factory that returns a fresh store per
// subtest. SQL stores typically give each subtest its own database or
// schema and drop it in t.Cleanup.
func ExampleRun() {
	testConformance := func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) driver.Store {
			s := memstore.New()
			t.Cleanup(func() { _ = s.Close() })
			return s
		})
	}
	_ = testConformance // called as TestConformance(t) in a _test.go file
}
