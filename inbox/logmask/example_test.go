package logmask_test

import (
	"log/slog"
	"os"

	"github.com/inboxkit/inboxkit/inbox/logmask"
)

func Example() {
	plain := slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		// Drop the time so the example output is stable.
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	logger := logmask.NewLogger(plain, logmask.Options{})

	logger.Info("reply sent to claire.dubois@courriel.example",
		"to", "+33 6 12 34 56 78",
		"password", "hunter2",
		"header", "Authorization: Bearer abc.def.ghi",
	)
	// Output:
	// level=INFO msg="reply sent to c***@courriel.example" to="+** * ** ** ** 78" password=[redacted] header="Authorization: [redacted]"
}
