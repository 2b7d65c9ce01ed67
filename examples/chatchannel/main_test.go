package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	require.Regexp(t, `^synced 1 new message\(s\)
conversation from Ada \(chat\), known as \[\w+/visitor-42\]
the chat service received for visitor-42: "Yes, three left."
$`, out.String())
}
