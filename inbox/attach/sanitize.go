package attach

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxFilenameBytes is the longest sanitized file name, in UTF-8 bytes.
const MaxFilenameBytes = 255

// DefaultFilename replaces a name that sanitizes to nothing.
const DefaultFilename = "attachment"

// maxExtensionBytes bounds what counts as an extension when a long name is
// shortened: a longer "extension" is just part of the name.
const maxExtensionBytes = 16

// SanitizeFilename returns a safe display name for an attachment whose
// name, already decoded from RFC 2047/2231, is raw:
//
//   - '\' counts as a separator and only what follows the last '/' is kept;
//   - invalid UTF-8 becomes U+FFFD; control characters (Unicode Cc: C0,
//     DEL, C1) and format characters (Cf: bidi overrides, zero-width) are
//     deleted;
//   - the result is cut to 255 bytes by shortening the part before the
//     extension, never inside a UTF-8 sequence;
//   - surrounding spaces are trimmed; "", "." and ".." become "attachment";
//   - a reserved Windows device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9,
//     with or without extension) gets a leading '_'.
//
// Leading dots are kept ("..%2Fx.txt" stays as is): the name never reaches
// a file system. Options.NoLeadingDot removes them for hosts that save
// attachments under their names.
func SanitizeFilename(raw string) string {
	name := strings.ReplaceAll(raw, `\`, "/")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToValidUTF8(name, "\uFFFD")
	name = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if reservedDeviceName(name) {
		name = "_" + name
	}
	// Shortening can expose spaces and, behind them, a device name, so
	// check again after it (a name found reserved here is short).
	name = strings.TrimSpace(truncateName(name, MaxFilenameBytes))
	if name == "" || name == "." || name == ".." {
		return DefaultFilename
	}
	if reservedDeviceName(name) {
		name = "_" + name
	}
	return name
}

// sanitizeFilename applies SanitizeFilename and the options' extra rules.
func (o Options) sanitizeFilename(raw string) string {
	name := SanitizeFilename(raw)
	if o.NoLeadingDot {
		name = strings.TrimLeft(name, ". ")
		if name == "" {
			return DefaultFilename
		}
		if reservedDeviceName(name) {
			name = "_" + name
		}
	}
	return name
}

// reservedDeviceName reports whether Windows would open a device instead
// of a file for name: the part before the first dot, trailing spaces
// ignored, is CON, PRN, AUX, NUL, COM0-9 or LPT0-9 in any case.
func reservedDeviceName(name string) bool {
	base, _, _ := strings.Cut(name, ".")
	base = strings.ToUpper(strings.TrimRight(base, " "))
	switch base {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	if len(base) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) {
		c := base[3]
		return '0' <= c && c <= '9'
	}
	return false
}

// truncateName cuts name to max bytes, shortening the stem before a short
// extension and cutting only at rune boundaries.
func truncateName(name string, max int) string {
	if len(name) <= max {
		return name
	}
	stem, ext := name, ""
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= maxExtensionBytes {
		stem, ext = name[:i], name[i:]
	}
	keep := max - len(ext)
	for keep > 0 && !utf8.RuneStart(stem[keep]) {
		keep--
	}
	return stem[:keep] + ext
}
