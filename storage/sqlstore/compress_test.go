package sqlstore

import (
	"bytes"
	"compress/flate"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPackDocRoundTripAndLegacyDeflate(t *testing.T) {
	s := &Store{compress: true}
	doc := []byte(`{"subject":"Commande 42","text":"` + strings.Repeat("Bonjour, où en est ma commande ? ", 100) + `"}`)

	packed, err := s.packDoc(doc)
	require.NoError(t, err)
	require.Equal(t, byte(s2Doc), packed[0])
	require.Less(t, len(packed), len(doc)/2)
	out, err := unpackDoc(packed)
	require.NoError(t, err)
	require.Equal(t, doc, out)

	// Rows written by earlier versions are DEFLATE behind a zero byte.
	var legacy bytes.Buffer
	legacy.WriteByte(deflatedDoc)
	w, err := flate.NewWriter(&legacy, flate.BestSpeed)
	require.NoError(t, err)
	_, _ = w.Write(doc)
	require.NoError(t, w.Close())
	out, err = unpackDoc(legacy.Bytes())
	require.NoError(t, err)
	require.Equal(t, doc, out)

	// Small documents and stores that do not compress keep plain JSON.
	small := []byte(`{"id":"m1"}`)
	packed, err = s.packDoc(small)
	require.NoError(t, err)
	require.Equal(t, small, packed)
	packed, err = (&Store{}).packDoc(doc)
	require.NoError(t, err)
	require.Equal(t, doc, packed)
	out, err = unpackDoc(doc)
	require.NoError(t, err)
	require.Equal(t, doc, out)

	// A damaged document is an error, not garbage.
	_, err = unpackDoc([]byte{s2Doc, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2})
	require.ErrorContains(t, err, "decompress stored document")
}
