package inbox

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/inboxkit/inboxkit/inbox/textfold"
)

// SearchQuery is a parsed ConversationQuery.Search. Every store executes
// the same parsed query, so a search answers alike on each of them.
//
// Syntax (operators are case-insensitive, values may be "quoted"):
//
//	word            conversations with a message containing the word
//	word*           ... a word starting with word
//	"two words"     a message containing both words
//	from:bob        the sender's name, address, phone or id holds the word bob
//	                (from:"Ada Lovelace" and from:ada@x.example: those words in that order)
//	folder:Sales    in the folder with this name or id (folder:none for unfiled)
//	status:urgent   with this status; source:sms with this source
//	has:attachment  with a message carrying an attachment
//	is:unread       with unread messages, spam and archived left out
//	                (what the unread counters count)
//	after:2026-01-31 / before:2026-02-01
//	                last message on or after / before that day (UTC) or instant (RFC 3339)
//	sort:relevance  best matches first, among the newest RelevanceWindow
//	                matching conversations (newest first is the default)
//
// Words are matched as textfold.Tokens: accents, case and punctuation are
// ignored, so "Réclamation" finds "reclamation" and bob.stone@corp.example
// is the words bob stone corp example. All the words of a query must occur
// in one message, in the conversation's subject or in one of its internal
// notes (a note has no sender: from: terms never match it). Anything that is not
// an operator is a plain word, so text such as "10:30" or "a:b" is
// searched for, never interpreted.
type SearchQuery struct {
	Terms         []SearchTerm
	Folders       []string
	Statuses      []Status
	Sources       []Source
	HasAttachment bool
	Unread        bool
	After, Before time.Time
	// Relevance orders by full-text rank instead of recency.
	Relevance bool
}

// RelevanceWindow is how many of the newest matching conversations a
// sort:relevance search ranks.
const RelevanceWindow = 200

// SearchTerm is one full-text condition: folded tokens (textfold.Tokens)
// that must all appear in one message. A Sender term looks only at the
// sender (name, address, phone, id) and needs its tokens in order, next
// to each other; Prefix makes the last token match any word it begins.
type SearchTerm struct {
	Tokens []string
	Prefix bool // the last token matches as a prefix (word*)
	Sender bool // from: restricts it to the sender
}

// MaxSearchBytes bounds the text of a search query (and of a knowledge
// base query).
const MaxSearchBytes = 1000

// maxTerms bounds the full-text conditions of one query.
const maxTerms = 16

// ParseSearch parses the query syntax described on SearchQuery. Errors
// wrap ErrInvalid and name the offending operator.
func ParseSearch(q string) (SearchQuery, error) {
	var s SearchQuery
	if len(q) > MaxSearchBytes {
		return s, Invalid("search", fmt.Sprintf("is longer than %d bytes", MaxSearchBytes))
	}
	if !utf8.ValidString(q) {
		return s, Invalid("search", "is not valid UTF-8")
	}
	for _, f := range splitQuery(q) {
		if err := s.add(f); err != nil {
			return SearchQuery{}, err
		}
	}
	if len(s.Terms) > maxTerms {
		return SearchQuery{}, Invalid("search", fmt.Sprintf("has more than %d words", maxTerms))
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

func (s *SearchQuery) add(f field) error {
	v := strings.TrimSpace(f.value)
	switch f.op {
	case "", "from":
		prefix := !f.quoted && strings.HasSuffix(v, "*")
		if toks := textfold.Tokens(v); len(toks) > 0 {
			s.Terms = append(s.Terms, SearchTerm{Tokens: toks, Prefix: prefix, Sender: f.op == "from"})
		}
	case "folder":
		if v == "" {
			return Invalid("search", "folder: needs a folder name or id")
		}
		s.Folders = append(s.Folders, v)
	case "status":
		st := Status(strings.ToLower(v))
		if !st.Valid() {
			return Invalid("search", fmt.Sprintf("status:%s is not one of new, open, urgent, resolved, archived, spam", clip(v)))
		}
		s.Statuses = append(s.Statuses, st)
	case "source":
		src := Source(strings.ToLower(v))
		if !src.Valid() {
			return Invalid("search", fmt.Sprintf("source:%s is not a channel kind like email, sms or whatsapp", clip(v)))
		}
		s.Sources = append(s.Sources, src)
	case "has":
		if !strings.EqualFold(v, "attachment") && !strings.EqualFold(v, "attachments") {
			return Invalid("search", fmt.Sprintf("has:%s is not supported (has:attachment is)", clip(v)))
		}
		s.HasAttachment = true
	case "is":
		if !strings.EqualFold(v, "unread") {
			return Invalid("search", fmt.Sprintf("is:%s is not supported (is:unread is)", clip(v)))
		}
		s.Unread = true
	case "sort":
		switch strings.ToLower(v) {
		case "relevance":
			s.Relevance = true
		case "newest", "date":
			s.Relevance = false
		default:
			return Invalid("search", fmt.Sprintf("sort:%s is not supported (sort:relevance and sort:newest are)", clip(v)))
		}
	case "after", "before":
		at, err := parseDate(v)
		if err != nil {
			return Invalid("search", fmt.Sprintf("%s:%s is not a date like 2026-01-31", f.op, clip(v)))
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

// isUnfiledName reports whether a folder: operator value names no folder
// (unfiled conversations).
func isUnfiledName(v string) bool {
	return v == Unfiled || strings.EqualFold(v, "none") || strings.EqualFold(v, "unfiled")
}

// FolderSets resolves the folder: operators against the tenant's folders:
// one set of folder ids per operator, "" standing for unfiled. A
// conversation matches when its folder is in every set, so a name no
// folder has matches nothing. A folder is named by its id or by its name,
// case and accents ignored.
func (q SearchQuery) FolderSets(folders []Folder) [][]string {
	sets := make([][]string, 0, len(q.Folders))
	for _, v := range q.Folders {
		set := []string{}
		if isUnfiledName(v) {
			set = append(set, "")
		}
		fv := textfold.Fold(v)
		for _, f := range folders {
			if f.ID == v || textfold.Fold(f.Name) == fv {
				set = append(set, f.ID)
			}
		}
		sets = append(sets, set)
	}
	return sets
}

// SearchDocument is what a store indexes of a message: the folded words
// of its subject, text (the first MaxIndexedText bytes) and sender, and
// the sender's words apart for from: terms.
type SearchDocument struct {
	Subject, Body, Sender string
}

// MaxIndexedText bounds the text of one message that search looks at.
const MaxIndexedText = 256 << 10

// SearchDocumentOf returns what a store indexes of m (raw, not folded:
// stores fold with textfold.Words or textfold.Tokens).
func SearchDocumentOf(m *Message) SearchDocument {
	sender := strings.TrimSpace(strings.Join([]string{m.From.Name, m.From.Email, m.From.Phone, m.From.ID}, " "))
	return SearchDocument{Subject: m.Subject, Body: indexedText(m.Text), Sender: sender}
}

// NoteSearchDocument returns what a store indexes of an internal note:
// its text, with no subject and no sender, so a search finds the
// conversation by words only its agents wrote.
func NoteSearchDocument(n *Note) SearchDocument {
	return SearchDocument{Body: indexedText(n.Body)}
}

// indexedText cuts text to its first MaxIndexedText bytes, at a rune
// boundary.
func indexedText(body string) string {
	if len(body) > MaxIndexedText {
		body = body[:MaxIndexedText]
		for len(body) > 0 && !utf8.RuneStart(body[len(body)-1]) {
			body = body[:len(body)-1]
		}
		if len(body) > 0 {
			body = body[:len(body)-1] // a rune cut short
		}
	}
	return body
}

// MatchesRow reports whether one indexed row (a message's words, and its
// sender's words in order; or a conversation subject's words with no
// sender) satisfies every term of q. Stores without a full-text engine
// use it; SQL stores express the same rule in their query language.
func (q SearchQuery) MatchesRow(words, sender []string) bool {
	for _, t := range q.Terms {
		if !t.matches(words, sender) {
			return false
		}
	}
	return true
}

func (t SearchTerm) matches(words, sender []string) bool {
	if t.Sender {
		return containsRun(sender, t.Tokens, t.Prefix)
	}
	for i, tok := range t.Tokens {
		prefix := t.Prefix && i == len(t.Tokens)-1
		if !slices.ContainsFunc(words, func(w string) bool { return tokenMatches(w, tok, prefix) }) {
			return false
		}
	}
	return true
}

// containsRun reports whether words holds toks consecutively.
func containsRun(words, toks []string, prefix bool) bool {
	for i := 0; i+len(toks) <= len(words); i++ {
		ok := true
		for j, tok := range toks {
			if !tokenMatches(words[i+j], tok, prefix && j == len(toks)-1) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func tokenMatches(word, tok string, prefix bool) bool {
	if prefix {
		return strings.HasPrefix(word, tok)
	}
	return word == tok
}
