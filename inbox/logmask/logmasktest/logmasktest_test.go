package logmasktest_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox/logmask"
	"github.com/inboxkit/inboxkit/inbox/logmask/logmasktest"
)

func TestRecorderFindsLeaks(t *testing.T) {
	logger, rec := logmasktest.New(logmask.Options{})
	logger.Info("login", "password", "hunter2&x", "user", "claire@courriel.example", "note", "ticket <42>")
	logger.Debug("debug lines are recorded too", "order", "LUM-5521")
	require.Empty(t, rec.Leaks("hunter2&x", "claire@courriel.example", ""))
	require.Equal(t, []int{0, 1}, rec.Leaks("ticket <42>", "LUM-5521"), "JSON-escaped and plain forms are found")
	rec.RequireNoLeaks(t, "hunter2&x", "claire")
}
