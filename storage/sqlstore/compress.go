package sqlstore

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"

	"github.com/klauspost/compress/s2"
)

// Stored message documents start with a marker byte when compressed. JSON
// never starts with a control byte, so every form can live in one column
// and a database can switch setting without rewriting rows.
const (
	// deflatedDoc is DEFLATE, written by earlier versions; still read.
	deflatedDoc = 0x00
	// s2Doc is S2 (a Snappy extension): several times faster than DEFLATE
	// both ways for a slightly larger result, which matters more because
	// every ingested message is encoded once and read back by listing,
	// reclassification and statistics many times.
	s2Doc = 0x01
)

// packDoc compresses a message document when the store compresses them
// (SQLite; PostgreSQL compresses large values itself).
func (s *Store) packDoc(doc []byte) ([]byte, error) {
	if !s.compress || len(doc) < 512 {
		return doc, nil
	}
	n := s2.MaxEncodedLen(len(doc))
	if n < 0 {
		return nil, fmt.Errorf("compress document: %d bytes is too large", len(doc))
	}
	buf := make([]byte, 1+n)
	buf[0] = s2Doc
	out := s2.Encode(buf[1:], doc)
	return buf[:1+len(out)], nil
}

// unpackDoc reverses packDoc.
func unpackDoc(doc []byte) ([]byte, error) {
	if len(doc) == 0 {
		return doc, nil
	}
	switch doc[0] {
	case s2Doc:
		out, err := s2.Decode(nil, doc[1:])
		if err != nil {
			return nil, fmt.Errorf("decompress stored document: %w", err)
		}
		return out, nil
	case deflatedDoc:
		r := flate.NewReader(bytes.NewReader(doc[1:]))
		defer r.Close()
		out, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("decompress stored document: %w", err)
		}
		return out, nil
	}
	return doc, nil
}
