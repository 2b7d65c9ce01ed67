package sqlstore

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/inboxkit/inboxkit/inbox"
)

// Search is a parsed ConversationQuery.Search.
//
// Syntax (operators are case-insensitive, values may be "quoted"):
//
//	word            conversations with a message containing the word
//	word*           ... a word starting with word
//	"two words"     the words next to each other, in this order
//	from:bob        the sender's name or address contains the word bob
//	folder:Sales    in the folder with this name or id (folder:none for unfiled)
//	status:urgent   with this status; source:sms with this source
//	has:attachment  with a message carrying an attachment
//	is:unread       with unread messages
//	after:2026-01-31 / before:2026-02-01
//	                last message on or after / before that day (UTC) or instant (RFC 3339)
//	sort:relevance  best matches first, among the newest RelevanceWindow
//	                matching conversations (newest first is the default)
//
// Accents and case are ignored. Anything else is a plain word, so text such
// as "10:30" or "a:b" is searched for, never interpreted.
type Search struct {
	Terms         []Term
	Folders       []string
	Statuses      []inbox.Status
	Sources       []inbox.Source
	HasAttachment bool
	Unread        bool
	After, Before time.Time
	// Relevance orders by full-text rank instead of recency.
	Relevance bool
}

// Term is one full-text condition: folded tokens that must appear in one
// message, consecutively when there are several ("bob@x.example" is the
// phrase bob x example).
type Term struct {
	Tokens []string
	Prefix bool // the last token matches as a prefix (word*)
	Sender bool // from: restricts it to the sender
}

// maxSearchLen bounds the query text a caller may send.
const maxSearchLen = 1000

// maxTerms bounds the full-text conditions of one query.
const maxTerms = 16

// ParseSearch parses the query syntax described on Search. Errors wrap
// inbox.ErrInvalid and name the offending operator.
func ParseSearch(q string) (Search, error) {
	var s Search
	if len(q) > maxSearchLen {
		return s, inbox.Invalid("search", fmt.Sprintf("is longer than %d bytes", maxSearchLen))
	}
	if !utf8.ValidString(q) {
		return s, inbox.Invalid("search", "is not valid UTF-8")
	}
	for _, f := range splitQuery(q) {
		if err := s.add(f); err != nil {
			return Search{}, err
		}
	}
	if len(s.Terms) > maxTerms {
		return Search{}, inbox.Invalid("search", fmt.Sprintf("has more than %d words", maxTerms))
	}
	return s, nil
}

// field is one whitespace-separated part of a query: an optional operator
// and a value that was quoted or not.
type field struct {
	op, value string
	quoted    bool
}

func splitQuery(q string) []field {
	var out []field
	i := 0
	for i < len(q) {
		r, size := utf8.DecodeRuneInString(q[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		start := i
		op := ""
		// an operator is letters followed by ':' and a non-space
		j := i
		for j < len(q) && (q[j] >= 'a' && q[j] <= 'z' || q[j] >= 'A' && q[j] <= 'Z') {
			j++
		}
		if j > i && j+1 < len(q) && q[j] == ':' && !unicode.IsSpace(rune(q[j+1])) && isOperator(strings.ToLower(q[i:j])) {
			op = strings.ToLower(q[i:j])
			i = j + 1
		}
		if q[i] == '"' {
			end := strings.IndexByte(q[i+1:], '"')
			var v string
			if end < 0 {
				v, i = q[i+1:], len(q)
			} else {
				v, i = q[i+1:i+1+end], i+2+end
			}
			out = append(out, field{op: op, value: v, quoted: true})
			continue
		}
		j = i
		for j < len(q) {
			r, size := utf8.DecodeRuneInString(q[j:])
			if unicode.IsSpace(r) {
				break
			}
			j += size
		}
		if op == "" {
			out = append(out, field{value: q[start:j]})
		} else {
			out = append(out, field{op: op, value: q[i:j]})
		}
		i = j
	}
	return out
}

func isOperator(op string) bool {
	switch op {
	case "from", "folder", "status", "source", "has", "is", "after", "before", "sort":
		return true
	}
	return false
}

func (s *Search) add(f field) error {
	v := strings.TrimSpace(f.value)
	switch f.op {
	case "", "from":
		prefix := !f.quoted && strings.HasSuffix(v, "*")
		if toks := Tokens(v); len(toks) > 0 {
			s.Terms = append(s.Terms, Term{Tokens: toks, Prefix: prefix, Sender: f.op == "from"})
		}
	case "folder":
		if v == "" {
			return inbox.Invalid("search", "folder: needs a folder name or id")
		}
		s.Folders = append(s.Folders, v)
	case "status":
		st := inbox.Status(strings.ToLower(v))
		if !st.Valid() {
			return inbox.Invalid("search", fmt.Sprintf("status:%s is not one of new, open, urgent, resolved, archived, spam", clip(v)))
		}
		s.Statuses = append(s.Statuses, st)
	case "source":
		src := inbox.Source(strings.ToLower(v))
		if !src.Valid() {
			return inbox.Invalid("search", fmt.Sprintf("source:%s is not one of email, sms, whatsapp, webhook", clip(v)))
		}
		s.Sources = append(s.Sources, src)
	case "has":
		if !strings.EqualFold(v, "attachment") && !strings.EqualFold(v, "attachments") {
			return inbox.Invalid("search", fmt.Sprintf("has:%s is not supported (has:attachment is)", clip(v)))
		}
		s.HasAttachment = true
	case "is":
		if !strings.EqualFold(v, "unread") {
			return inbox.Invalid("search", fmt.Sprintf("is:%s is not supported (is:unread is)", clip(v)))
		}
		s.Unread = true
	case "sort":
		switch strings.ToLower(v) {
		case "relevance":
			s.Relevance = true
		case "newest", "date":
			s.Relevance = false
		default:
			return inbox.Invalid("search", fmt.Sprintf("sort:%s is not supported (sort:relevance and sort:newest are)", clip(v)))
		}
	case "after", "before":
		at, err := parseDate(v)
		if err != nil {
			return inbox.Invalid("search", fmt.Sprintf("%s:%s is not a date like 2026-01-31", f.op, clip(v)))
		}
		if f.op == "after" {
			if at.After(s.After) {
				s.After = at
			}
		} else if s.Before.IsZero() || at.Before(s.Before) {
			s.Before = at
		}
	}
	return nil
}

func parseDate(v string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, v)
}

// clip shortens an echoed value so an error stays readable.
func clip(v string) string {
	if len(v) > 40 {
		for i := 40; i > 0; i-- {
			if utf8.RuneStart(v[i]) {
				return fmt.Sprintf("%q…", v[:i])
			}
		}
	}
	return fmt.Sprintf("%q", v)
}
