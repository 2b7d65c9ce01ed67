package email

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxFilenameBytes is the longest sanitized file name, in UTF-8 bytes, which
// every common filesystem accepts.
const maxFilenameBytes = 255

// SanitizeFilename turns a file name taken from a message into a safe
// display name: the part after the last '/' or '\' (so no directory ever
// comes from the input), without control characters (C0, DEL, C1) or
// Unicode format characters (bidi overrides, zero-width), trimmed, never
// empty, "." or ".." ("attachment" instead), at most 255 UTF-8 bytes with
// the extension kept. The name is for display only: bytes are stored under
// keys inboxkit generates.
func SanitizeFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = strings.ReplaceAll(name, `\`, "/")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." {
		return "attachment"
	}
	if len(name) <= maxFilenameBytes {
		return name
	}
	base, ext := name, ""
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 32 {
		base, ext = name[:i], name[i:]
	}
	keep := maxFilenameBytes - len(ext)
	if keep < 1 {
		// An absurd extension: cut the whole name instead.
		base, ext, keep = name, "", maxFilenameBytes
	}
	for keep > 0 && !utf8.RuneStart(base[keep]) {
		keep--
	}
	return strings.TrimSpace(base[:keep]) + ext
}
