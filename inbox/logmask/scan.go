package logmask

import "bytes"

// scanBuffer is the size of the stack buffer the scan lowercases into;
// longer text is lowercased into a heap copy.
const scanBuffer = 512

// scan holds what one pass over a string learns, so rules whose
// expression cannot match are skipped without running it.
type scan struct {
	lower  []byte // ASCII-lowercased text
	at     bool   // has an '@'
	digits int    // number of ASCII digits
	// phoneStart: a '+' before a digit, or a '0' starting a word before a
	// digit, the ways the phone expression can begin.
	phoneStart bool
	// words has bit i set when the text holds a trigger word of rule i.
	words uint64
}

// wordIndex finds every rule's trigger words in one pass: for each byte,
// only the words starting with it are compared.
type wordIndex struct {
	byFirst [256][]wordRef
}

type wordRef struct {
	word string
	rule int
}

func newWordIndex(rules []textRule) *wordIndex {
	idx := &wordIndex{}
	for i, r := range rules {
		for _, w := range r.trigger.words {
			idx.byFirst[w[0]] = append(idx.byFirst[w[0]], wordRef{word: w, rule: i})
		}
	}
	return idx
}

// find sets f.words from f.lower.
func (idx *wordIndex) find(f *scan) {
	for i, c := range f.lower {
		for _, ref := range idx.byFirst[c] {
			if f.words&(1<<ref.rule) == 0 && bytes.HasPrefix(f.lower[i:], []byte(ref.word)) {
				f.words |= 1 << ref.rule
			}
		}
	}
}

// trigger describes what the text must hold for a rule to run. The zero
// trigger always fires.
type trigger struct {
	words []string // any of these, lowercase
	at    bool     // an '@'
	phone bool     // a phone start and at least 8 digits
}

func newScan(s string, buf []byte) scan {
	f := scan{lower: buf}
	if len(s) > cap(buf) {
		f.lower = make([]byte, 0, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case '0' <= c && c <= '9':
			f.digits++
			if c == '0' && i+1 < len(s) && isDigit(s[i+1]) && (i == 0 || !isWordByte(s[i-1])) {
				f.phoneStart = true
			}
		case c == '@':
			f.at = true
		case c == '+':
			if i+1 < len(s) && isDigit(s[i+1]) {
				f.phoneStart = true
			}
		}
		f.lower = append(f.lower, c)
	}
	return f
}

// fires reports whether the scanned text may match rule number i, whose
// trigger is t.
func (f *scan) fires(i int, t trigger) bool {
	if t.at && !f.at {
		return false
	}
	if t.phone && (!f.phoneStart || f.digits < 8) {
		return false
	}
	return len(t.words) == 0 || f.words&(1<<i) != 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isWordByte(c byte) bool {
	return isDigit(c) || c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}
