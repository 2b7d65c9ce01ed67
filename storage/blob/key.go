package blob

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/inboxkit/inboxkit/inbox"
)

// MaxKeyLen is the longest key accepted, in bytes.
const MaxKeyLen = 1024

// ValidateKey reports why key cannot name a blob, as an error wrapping
// inbox.ErrInvalid, or nil. The reason never repeats the key itself, which
// could carry control characters into logs.
func ValidateKey(key string) error {
	reason := keyProblem(key)
	if reason == "" {
		return nil
	}
	return inbox.Invalid("blob key", reason)
}

func keyProblem(key string) string {
	switch {
	case key == "":
		return "empty"
	case len(key) > MaxKeyLen:
		return fmt.Sprintf("longer than %d bytes", MaxKeyLen)
	case !utf8.ValidString(key):
		return "not valid UTF-8"
	case strings.HasPrefix(key, "/"):
		return "absolute path"
	case strings.ContainsRune(key, '\\'):
		return "contains a backslash"
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return "contains a NUL or control character"
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch {
		case seg == "":
			return "empty path segment"
		case seg == "." || seg == "..":
			return `contains a "." or ".." segment`
		case seg[0] == '.':
			// Dot-names are reserved for Dir's temporary files.
			return "a segment starts with a dot"
		}
	}
	return ""
}
