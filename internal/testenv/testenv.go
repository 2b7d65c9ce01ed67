// Package testenv decides what a test does when an external service it
// needs (PostgreSQL, Dovecot, Chromium) is missing: plain
// `go test` skips with the reason, while the project's test script sets
// INBOXKIT_TEST_REQUIRE_SERVICES=1 so that a missing service fails instead
// of hiding behind a skip.
package testenv

import (
	"fmt"
	"os"
	"testing"
)

// RequireServices reports whether missing services must fail tests.
func RequireServices() bool { return os.Getenv("INBOXKIT_TEST_REQUIRE_SERVICES") != "" }

// Missing ends the test because a service is unavailable: a skip, or a
// failure under the test script.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if RequireServices() {
		t.Fatalf("required service missing (INBOXKIT_TEST_REQUIRE_SERVICES is set): %s", msg)
	}
	t.Skip(msg)
}
