package sqlstore

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"sync"
)

// compressedDoc marks a document stored deflated. JSON never starts with
// a zero byte, so both forms can live in one column and a database can
// switch setting without rewriting rows.
const compressedDoc = 0x00

var flaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed)
	return w
}}

// packDoc deflates a message document when the store compresses them
// (SQLite; PostgreSQL compresses large values itself).
func (s *Store) packDoc(doc []byte) ([]byte, error) {
	if !s.compress || len(doc) < 512 {
		return doc, nil
	}
	var b bytes.Buffer
	b.Grow(len(doc) / 2)
	b.WriteByte(compressedDoc)
	w := flaters.Get().(*flate.Writer)
	defer flaters.Put(w)
	w.Reset(&b)
	if _, err := w.Write(doc); err != nil {
		return nil, fmt.Errorf("compress document: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("compress document: %w", err)
	}
	return b.Bytes(), nil
}

// unpackDoc reverses packDoc.
func unpackDoc(doc []byte) ([]byte, error) {
	if len(doc) == 0 || doc[0] != compressedDoc {
		return doc, nil
	}
	r := flate.NewReader(bytes.NewReader(doc[1:]))
	defer r.Close()
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("decompress stored document: %w", err)
	}
	return out, nil
}
