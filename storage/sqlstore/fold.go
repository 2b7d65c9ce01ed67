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
	var tokens []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			tokens = append(tokens, b.String())
			b.Reset()
		}
	}
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// a combining accent: dropped
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			r = unicode.ToLower(r)
			if l, ok := ligatures[r]; ok {
				b.WriteString(l)
			} else {
				b.WriteRune(r)
			}
		default:
			flush()
		}
	}
	flush()
	return tokens
}

// Fold returns the tokens of s joined by single spaces.
func Fold(s string) string { return strings.Join(Tokens(s), " ") }
