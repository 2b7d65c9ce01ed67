package inbox

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/inboxkit/inboxkit/inbox/textfold"
)

// Phone numbers in a search. Agents type a number as it is displayed:
// "+33 6 12 34 56 78", "0033 6 12 34 56 78", "06 12 34 56 78" or
// "0612345678". Such a run (digits with spaces, dots, dashes, slashes or
// brackets) is a phone number when it is international (a leading + or
// 00, then 8 to 15 digits) or national (a leading 0, then 9 to 11 digits
// in all); other numbers (an order number, a year) stay plain words. A
// phone number finds the conversations of the contacts with that number:
// an international number by all its digits; a national one with the
// tenant's calling code (TenantSettings.PhoneCountryCode) in front of its
// digits after the 0, or, without it, by those digits ending the
// contact's number, so "06 12 34 56 78" finds +33 6 12 34 56 78. A "(0)" after the
// country code ("+33 (0)6 12 34 56 78") is left out.
var phoneRun = regexp.MustCompile(`(?:^|\s)(\+?\(?[0-9][0-9 ().\-/]{6,}[0-9])(?:$|\s)`)

// ValidCallingCode reports whether code is a country calling code: one
// to three digits, not starting with 0.
func ValidCallingCode(code string) bool {
	if len(code) < 1 || len(code) > 3 || code[0] == '0' {
		return false
	}
	return strings.Trim(code, "0123456789") == ""
}

// SplitPhones takes the phone numbers out of a search query: the query
// without them, and each number's significant digits (all of them, in
// international form, for an international number).
func SplitPhones(q string) (rest string, phones []string) {
	if !strings.ContainsAny(q, "0123456789") {
		return q, nil
	}
	var b strings.Builder
	last := 0
	for _, m := range phoneRun.FindAllStringSubmatchIndex(q, -1) {
		run := q[m[2]:m[3]]
		if strings.Contains(q[max(0, m[2]-1):m[2]], `"`) {
			continue // a quoted number is searched as words
		}
		// "+33 (0)6…": the national trunk 0 is not dialled from abroad
		digits := NormalizePhone(strings.Replace(run, "(0)", "", 1))
		international := strings.HasPrefix(run, "+") || strings.HasPrefix(run, "00")
		switch {
		case international && len(digits) >= 8 && len(digits) <= 15:
		case !international && strings.HasPrefix(run, "0") && len(digits) >= 9 && len(digits) <= 11:
			digits = "0" + strings.TrimLeft(digits, "0") // national: marked by its 0
		default:
			continue
		}
		phones = append(phones, digits)
		b.WriteString(q[last:m[2]])
		b.WriteByte(' ')
		last = m[3]
	}
	if phones == nil {
		return q, nil
	}
	b.WriteString(q[last:])
	return strings.TrimSpace(b.String()), phones
}

// PhoneMatches reports whether a contact's phone (digits, international
// form) is a number SplitPhones read: the same digits for an
// international number, the same trailing digits after its 0 for a
// national one.
func PhoneMatches(phone, searched string) bool {
	if national, ok := strings.CutPrefix(searched, "0"); ok {
		return national != "" && strings.HasSuffix(phone, national)
	}
	return searched != "" && phone == searched
}

// maxPhoneContacts bounds the contacts one phone number of a search
// stands for.
const maxPhoneContacts = 200

// phoneContacts resolves a search's phone numbers to contact ids: the
// contacts holding every number. ok is false when none does. A number in
// international form, or in national form with the tenant's calling code
// known, is one lookup of the contact's identity; a national number
// without it is matched on its trailing digits across the contacts.
func phoneContacts(tx storeTx, phones []string, callingCode string) (ids []string, ok bool, err error) {
	for i, p := range phones {
		var candidates []Contact
		exact := p
		if national, ok := strings.CutPrefix(p, "0"); ok {
			exact = ""
			if ValidCallingCode(callingCode) {
				exact = callingCode + national
			}
		}
		if exact != "" {
			c, err := tx.FindContact(ContactKey{Phone: exact})
			switch {
			case err == nil:
				candidates = []Contact{c}
				p = exact
			case !errors.Is(err, ErrNotFound):
				return nil, false, err
			}
		}
		if exact == "" {
			page, err := tx.ListContacts(ContactQuery{Search: strings.TrimPrefix(p, "0"), Limit: maxPhoneContacts})
			if err != nil {
				return nil, false, err
			}
			candidates = page.Items
		}
		var found []string
		for _, c := range candidates {
			if slices.ContainsFunc(c.Phones, func(ph string) bool { return PhoneMatches(ph, p) }) &&
				(i == 0 || slices.Contains(ids, c.ID)) {
				found = append(found, c.ID)
			}
		}
		if len(found) == 0 {
			return nil, false, nil
		}
		ids = found
	}
	return ids, true, nil
}

// Snippet is where a search matched in a conversation, for a result
// list: plain text (never markup) with the matched words marked.
type Snippet struct {
	// In says what the text comes from: "subject", "message" or "note".
	In        string `json:"in"`
	MessageID string `json:"message_id,omitempty"`
	NoteID    string `json:"note_id,omitempty"`
	Text      string `json:"text"`
	// Highlights are the matched words, as [start, end) offsets in
	// characters (Unicode code points) of Text.
	Highlights []Span `json:"highlights"`
}

// Span is a range of characters, end excluded.
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// snippetRunes bounds a snippet's text; snippetLead is how much text it
// shows before the first match.
const (
	snippetRunes = 180
	snippetLead  = 50
)

// Snippets finds, for each conversation id, where search matches it: the
// latest message holding every word of the query, else an internal note,
// else the subject. Conversations matched only by operators (from:, a
// phone number) have no snippet.
func (e *Engine) Snippets(ctx context.Context, tenant TenantID, search string, ids []string) (map[string]Snippet, error) {
	rest, _ := SplitPhones(search)
	sq, err := ParseSearch(rest)
	if err != nil {
		return nil, fmt.Errorf("snippets: %w", err)
	}
	var terms []SearchTerm
	for _, t := range sq.Terms {
		if !t.Sender {
			terms = append(terms, t)
		}
	}
	out := map[string]Snippet{}
	if len(terms) == 0 || len(ids) == 0 {
		return out, nil
	}
	words := SearchQuery{Terms: terms}
	err = e.view(ctx, "snippets", tenant, func(tx storeTx) error {
		for _, id := range ids {
			c, err := tx.GetConversation(id)
			if err != nil {
				continue // deleted since it was listed
			}
			msgs, err := tx.ListMessages(id)
			if err != nil {
				return err
			}
			found := false
			for i := len(msgs) - 1; i >= 0 && !found; i-- {
				m := &msgs[i]
				if s, ok := snippetOf(words, m.Text, textfold.Tokens(m.Subject)); ok {
					s.In, s.MessageID = "message", m.ID
					out[id], found = s, true
				}
			}
			if found {
				continue
			}
			notes, err := tx.ListNotes(id)
			if err != nil {
				return err
			}
			for i := len(notes) - 1; i >= 0 && !found; i-- {
				if s, ok := snippetOf(words, notes[i].Body, nil); ok {
					s.In, s.NoteID = "note", notes[i].ID
					out[id], found = s, true
				}
			}
			if !found {
				if s, ok := snippetOf(words, c.Subject, nil); ok {
					s.In = "subject"
					out[id] = s
				}
			}
		}
		return nil
	})
	return out, err
}

// token is a folded word of a text and where it is, in characters.
type token struct {
	word       string
	start, end int
}

// positionedTokens splits text like textfold.Tokens, keeping positions.
func positionedTokens(text string) []token {
	var out []token
	var cur strings.Builder
	start, pos := -1, 0
	flush := func() {
		if start >= 0 && cur.Len() > 0 {
			out = append(out, token{word: cur.String(), start: start, end: pos})
		}
		cur.Reset()
		start = -1
	}
	for _, r := range text {
		switch {
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			if start < 0 {
				start = pos
			}
			cur.WriteString(textfold.Rune(r))
		case unicode.Is(unicode.Mn, r):
			// a lone accent joins its letters
		default:
			flush()
		}
		pos++
	}
	flush()
	return out
}

// snippetOf cuts a snippet of text around the words of q when text
// (with extra words, such as its message's subject) holds every term.
func snippetOf(q SearchQuery, text string, extra []string) (Snippet, bool) {
	toks := positionedTokens(text)
	words := make([]string, 0, len(toks)+len(extra))
	for _, t := range toks {
		words = append(words, t.word)
	}
	if !q.MatchesRow(append(words, extra...), nil) {
		return Snippet{}, false
	}
	var marks []Span
	for _, t := range toks {
		if q.highlights(t.word) {
			marks = append(marks, Span{t.start, t.end})
		}
	}
	if len(marks) == 0 {
		return Snippet{}, false // matched by the subject alone
	}
	runes := []rune(text)
	from := max(0, marks[0].Start-snippetLead)
	for from > 0 && from < marks[0].Start && !unicode.IsSpace(runes[from-1]) {
		from++ // start on a word
	}
	to := min(len(runes), from+snippetRunes)
	for to < len(runes) && to > marks[0].End && !unicode.IsSpace(runes[to]) {
		to-- // end on a word
	}
	var b strings.Builder
	if from > 0 {
		b.WriteString("…")
	}
	b.WriteString(collapseSpaces(string(runes[from:to])))
	if to < len(runes) {
		b.WriteString("…")
	}
	// Spaces were collapsed: recompute positions on the final text.
	snippet := b.String()
	s := Snippet{Text: snippet, Highlights: []Span{}}
	for _, t := range positionedTokens(snippet) {
		if q.highlights(t.word) {
			s.Highlights = append(s.Highlights, Span{t.start, t.end})
		}
	}
	return s, utf8.ValidString(snippet)
}

// collapseSpaces turns every run of white space into one space.
func collapseSpaces(s string) string { return strings.Join(strings.Fields(s), " ") }

// highlights reports whether a folded word is one a term of q looks for.
func (q SearchQuery) highlights(word string) bool {
	for _, t := range q.Terms {
		for i, tok := range t.Tokens {
			if tokenMatches(word, tok, t.Prefix && i == len(t.Tokens)-1) {
				return true
			}
		}
	}
	return false
}
