package inbox

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"sync"
	"time"
)

// TenantID identifies a tenant (a company, "entreprise"). Every record
// belongs to exactly one tenant and every store access is scoped by it.
type TenantID string

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

var idState struct {
	sync.Mutex
	lastMs uint64
	seq    uint32
}

// NewID returns a new unique identifier: 26 lowercase characters that sort
// by creation time (48-bit milliseconds, then a 16-bit sequence and 64
// random bits), so ids double as stable pagination keys.
func NewID() string {
	ms := uint64(time.Now().UnixMilli())
	idState.Lock()
	if ms <= idState.lastMs {
		ms = idState.lastMs
		idState.seq++
		if idState.seq > 0xffff {
			ms++
			idState.seq = 0
		}
	} else {
		idState.seq = 0
	}
	idState.lastMs = ms
	seq := idState.seq
	idState.Unlock()

	var b [16]byte
	b[0] = byte(ms >> 40)
	b[1] = byte(ms >> 32)
	binary.BigEndian.PutUint32(b[2:6], uint32(ms))
	binary.BigEndian.PutUint16(b[6:8], uint16(seq))
	_, _ = rand.Read(b[8:])
	return idEncoding.EncodeToString(b[:])
}
