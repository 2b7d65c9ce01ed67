package textfold

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Rune returns the folded spelling of one letter or digit: "" for a
// combining mark, possibly several letters ("œ" → "oe"). Other runes are
// returned lower-cased.
func Rune(r rune) string {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return string(r)
	}
	if f, ok := table[r]; ok {
		return f
	}
	if isHangulSyllable(r) {
		return hangul(r)
	}
	if unicode.Is(unicode.Mn, r) {
		return ""
	}
	return string(unicode.ToLower(r))
}

// Fold returns s in lower case without diacritics, with typographic
// apostrophes, quotes, dashes and non-breaking spaces replaced by their
// ASCII forms; punctuation and spacing are otherwise kept. Text that is
// already folded is returned without copying.
func Fold(s string) string {
	i := 0
	for ; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
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
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if p, ok := plain(r); ok {
			b.WriteByte(p)
			continue
		}
		b.WriteString(Rune(r))
	}
	return b.String()
}

// plain maps typographic punctuation to the ASCII people type.
func plain(r rune) (byte, bool) {
	switch r {
	case '\u2018', '\u2019', '\u201B', '\u02BC', '\u00B4':
		return '\'', true
	case '\u201C', '\u201D', '\u00AB', '\u00BB':
		return '"', true
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014':
		return '-', true
	case '\u00A0', '\u202F', '\u2009', '\u2007':
		return ' ', true
	}
	return 0, false
}

// Words returns the tokens of s joined by single spaces.
func Words(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	sep := false // a separator since the last token
	word := func() {
		if sep && b.Len() > 0 {
			b.WriteByte(' ')
		}
		sep = false
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
				word()
				b.WriteByte(c)
			case 'A' <= c && c <= 'Z':
				word()
				b.WriteByte(c + 'a' - 'A')
			default:
				sep = true
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) {
			if !unicode.Is(unicode.Mn, r) {
				sep = true // a lone accent joins its letters; anything else separates
			}
			continue
		}
		f := Rune(r)
		if f == "" {
			continue
		}
		word()
		b.WriteString(f)
	}
	return b.String()
}

// Tokens splits s into folded words: runs of letters and digits, so that
// "Bob.Stone@Corp.example" is bob, stone, corp, example. Stores index these
// tokens and search queries are made of them.
func Tokens(s string) []string {
	w := Words(s)
	if w == "" {
		return nil
	}
	return strings.Split(w, " ")
}

// Hangul syllables decompose by formula (Unicode §3.12) into their
// leading consonant, vowel and optional trailing consonant.
const (
	hangulBase  = 0xAC00
	hangulCount = 11172
	jamoL       = 0x1100
	jamoV       = 0x1161
	jamoT       = 0x11A7
	jamoVCount  = 21
	jamoTCount  = 28
)

func isHangulSyllable(r rune) bool { return r >= hangulBase && r < hangulBase+hangulCount }

func hangul(r rune) string {
	i := r - hangulBase
	l, v, t := jamoL+i/(jamoVCount*jamoTCount), jamoV+(i%(jamoVCount*jamoTCount))/jamoTCount, jamoT+i%jamoTCount
	if t == jamoT {
		return string([]rune{l, v})
	}
	return string([]rune{l, v, t})
}
