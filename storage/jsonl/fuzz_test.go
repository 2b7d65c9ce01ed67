package jsonl_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/jsonl"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// FuzzImport feeds arbitrary lines to Import: it never panics, and every
// failure is a clear input or store error, never a crash half-way.
func FuzzImport(f *testing.F) {
	for _, seed := range []string{
		`{"kind":"tenant","data":{"ID":"acme","Name":"Acme"}}` + "\n" + `{"kind":"folder","data":{"Name":"Ventes"}}` + "\n",
		`{"kind":"tenant","data":{"ID":"acme"}}` + "\n" + `{"kind":"conversation","data":{"ID":"c1","Status":"new"}}` + "\n" +
			`{"kind":"message","data":{"ID":"m1","ConversationID":"c1","DedupeKeys":["k"]}}` + "\n",
		`{"kind":"tenant","data":{"ID":"acme"}}` + "\n" + `{"kind":"dedupe_key","data":{"key":"k","message_id":"gone"}}` + "\n",
		`{"kind":"blob","data":{"key":"acme/raw/1"}}`,
		"{}\n[]\nnull\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := jsonl.Import(context.Background(), memstore.New(), bytes.NewReader(data), jsonl.ImportOptions{})
		if err == nil {
			return
		}
		known := false
		for _, s := range []error{inbox.ErrInvalid, inbox.ErrConflict, inbox.ErrNotFound, inbox.ErrUnsupported} {
			known = known || errors.Is(err, s)
		}
		require.True(t, known, "%v", err)
	})
}
