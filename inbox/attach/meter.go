package attach

import (
	"bytes"
	"context"
	"errors"
	"hash"
	"io"
)

// errTooLarge stops a copy when the size limit is passed.
var errTooLarge = errors.New("size limit exceeded")

// meter passes bytes through while counting them against a limit, hashing
// them and looking for marker byte strings across chunk boundaries, so
// one pass over a stream serves storage, size, checksum and macro checks.
type meter struct {
	ctx     context.Context
	r       io.Reader
	limit   int64
	n       int64
	hash    hash.Hash
	markers [][]byte
	found   bool
	tail    []byte // end of the previous chunk, to catch split markers
}

func (m *meter) Read(p []byte) (int, error) {
	if err := m.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := m.r.Read(p)
	if n > 0 {
		m.n += int64(n)
		if m.n > m.limit {
			return 0, errTooLarge
		}
		m.hash.Write(p[:n])
		m.scan(p[:n])
	}
	return n, err
}

// scan looks for markers in chunk, joined with the previous chunk's tail.
func (m *meter) scan(chunk []byte) {
	if m.found || len(m.markers) == 0 {
		return
	}
	longest := 0
	for _, mk := range m.markers {
		longest = max(longest, len(mk))
	}
	window := append(m.tail, chunk...)
	for _, mk := range m.markers {
		if bytes.Contains(window, mk) {
			m.found = true
			return
		}
	}
	keep := min(longest-1, len(window))
	m.tail = append(m.tail[:0], window[len(window)-keep:]...)
}
