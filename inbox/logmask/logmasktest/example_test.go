package logmasktest_test

import (
	"fmt"

	"github.com/inboxkit/inboxkit/inbox/logmask"
	"github.com/inboxkit/inboxkit/inbox/logmask/logmasktest"
)

func Example() {
	logger, rec := logmasktest.New(logmask.Options{})
	// In a test: pass logger to the component, exercise it, then call
	// rec.RequireNoLeaks(t, apiKey, password, customerEmail).
	logger.Info("imap login", "user", "claire@courriel.example", "password", "hunter2")
	fmt.Println(rec.Leaks("hunter2", "claire@courriel.example", "courriel.example"))
	// Output: [2]
}
