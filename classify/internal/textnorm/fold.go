// Package textnorm folds text for insensitive matching: lower case,
// accents removed, typographic quotes and spaces made plain, so
// "Problème", "PROBLEME" and "probleme" compare equal.
package textnorm

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// latinFold maps U+00C0..U+017F to their folded, unaccented lower-case
// spelling; "" means "not a letter we fold" (×, ÷).
var latinFold = buildLatinFold()

func buildLatinFold() [0x180 - 0xC0]string {
	var t [0x180 - 0xC0]string
	groups := map[string]string{
		"ÀÁÂÃÄÅàáâãäåĀāĂăĄą": "a",
		"Ææ":                 "ae",
		"ÇçĆćĈĉĊċČč":         "c",
		"ÐðĎďĐđ":             "d",
		"ÈÉÊËèéêëĒēĔĕĖėĘęĚě": "e",
		"ĜĝĞğĠġĢģ":           "g",
		"ĤĥĦħ":               "h",
		"ÌÍÎÏìíîïĨĩĪīĬĭĮįİı": "i",
		"Ĳĳ":                 "ij",
		"Ĵĵ":                 "j",
		"Ķķĸ":                "k",
		"ĹĺĻļĽľĿŀŁł":         "l",
		"ÑñŃńŅņŇňŉŊŋ":        "n",
		"ÒÓÔÕÖØòóôõöøŌōŎŏŐő": "o",
		"Œœ":                 "oe",
		"ŔŕŖŗŘř":             "r",
		"ŚśŜŝŞşŠšſ":          "s",
		"ß":                  "ss",
		"ŢţŤťŦŧ":             "t",
		"Þþ":                 "th",
		"ÙÚÛÜùúûüŨũŪūŬŭŮůŰűŲų": "u",
		"Ŵŵ":     "w",
		"ÝýÿŶŷŸ": "y",
		"ŹźŻżŽž": "z",
	}
	for letters, folded := range groups {
		for _, r := range letters {
			t[r-0xC0] = folded
		}
	}
	return t
}

// Fold returns s in lower case without diacritics, with typographic
// apostrophes, quotes, dashes and non-breaking spaces replaced by their
// ASCII forms. Text that is already folded is returned without copying.
func Fold(s string) string {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			break
		}
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		start := i
		for i < len(s) {
			if c := s[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
				break
			}
			i++
		}
		b.WriteString(s[start:i])
		if i == len(s) {
			break
		}
		if c := s[i]; c < utf8.RuneSelf {
			b.WriteByte(c + 'a' - 'A')
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		writeFolded(&b, r)
		i += size
	}
	return b.String()
}

func writeFolded(b *strings.Builder, r rune) {
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteByte(byte(r))
		return
	case r >= 0xC0 && r < 0x180:
		if f := latinFold[r-0xC0]; f != "" {
			b.WriteString(f)
			return
		}
	case unicode.Is(unicode.Mn, r):
		return // a combining accent of decomposed text
	}
	switch r {
	case '\u2018', '\u2019', '\u201B', '\u02BC', '\u00B4', '`':
		b.WriteByte('\'')
		return
	case '\u201C', '\u201D', '\u00AB', '\u00BB':
		b.WriteByte('"')
		return
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014':
		b.WriteByte('-')
		return
	case '\u00A0', '\u202F', '\u2009', '\u2007':
		b.WriteByte(' ')
		return
	}
	b.WriteRune(unicode.ToLower(r))
}

// FoldRune folds one rune; it returns the folded spelling, which may be
// empty (combining marks) or longer than one rune ("œ" → "oe").
func FoldRune(r rune) string {
	var b strings.Builder
	writeFolded(&b, r)
	return b.String()
}
