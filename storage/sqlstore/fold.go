package sqlstore

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// ligatures are letters that decompose to nothing simpler under NFD but
// that people type as two letters.
var ligatures = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ð': "d", 'ł': "l", 'þ': "th", 'ı': "i",
}

// Tokens folds s into search tokens: lower case, accents removed (é → e),
// ligatures expanded (œ → oe), split on everything that is not a letter or
// a digit. Both dialects index and query these same tokens, so "Éléonore"
// matches "eleonore" and an address "bob@x.example" is the three tokens
// bob, x, example.
func Tokens(s string) []string {
	f := Fold(s)
	if f == "" {
		return nil
	}
	return strings.Split(f, " ")
}

// Fold returns the tokens of s joined by single spaces. ASCII, most of any
// text, takes a fast path; other runes are decomposed one by one.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true // no separator before the first token
	word := func() {
		if !space {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
	}
	for _, r := range s {
		if r < 0x80 {
			switch {
			case 'a' <= r && r <= 'z' || '0' <= r && r <= '9':
				word()
				b.WriteByte(byte(r))
			case 'A' <= r && r <= 'Z':
				word()
				b.WriteByte(byte(r) + 'a' - 'A')
			default:
				space = true
			}
			continue
		}
		folded := foldRune(r)
		if folded == "" {
			if !unicode.Is(unicode.Mn, r) {
				space = true
			}
			continue
		}
		word()
		b.WriteString(folded)
	}
	return b.String()
}

// foldRune folds one non-ASCII rune: "" for separators and lone accents.
func foldRune(r rune) string {
	if l, ok := ligatures[unicode.ToLower(r)]; ok {
		return l
	}
	if !unicode.IsLetter(r) && !unicode.IsNumber(r) {
		return ""
	}
	var b strings.Builder
	for _, d := range norm.NFD.String(string(r)) {
		switch {
		case unicode.Is(unicode.Mn, d):
		case unicode.IsLetter(d) || unicode.IsNumber(d):
			d = unicode.ToLower(d)
			if l, ok := ligatures[d]; ok {
				b.WriteString(l)
			} else {
				b.WriteRune(d)
			}
		}
	}
	return b.String()
}
