package email

import (
	"encoding/json"
	"fmt"
)

// cursor is the sync position of every folder of a mailbox, stored by the
// engine with each batch it covers.
type cursor struct {
	Version int                     `json:"v"`
	Folders map[string]folderCursor `json:"folders"`
}

// folderCursor is one folder's position: every message up to LastUID of
// this UIDVALIDITY has been committed.
type folderCursor struct {
	UIDValidity uint32 `json:"uidvalidity"`
	LastUID     uint32 `json:"last_uid"`
	// ModSeq is the folder's HIGHESTMODSEQ at the last complete pass
	// (CONDSTORE servers), so an unchanged folder is skipped at once.
	ModSeq uint64 `json:"modseq,omitempty"`
}

const cursorVersion = 1

// parseCursor reads a stored cursor; "" is the start of every folder.
func parseCursor(s string) (cursor, error) {
	c := cursor{Version: cursorVersion, Folders: map[string]folderCursor{}}
	if s == "" {
		return c, nil
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return cursor{}, fmt.Errorf("email cursor is not valid JSON: %w", err)
	}
	if c.Version != cursorVersion {
		return cursor{}, fmt.Errorf("email cursor version %d is not %d", c.Version, cursorVersion)
	}
	if c.Folders == nil {
		c.Folders = map[string]folderCursor{}
	}
	return c, nil
}

func (c cursor) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}
