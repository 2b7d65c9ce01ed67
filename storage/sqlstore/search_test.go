package sqlstore

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

func TestTokensFoldAccentsCaseAndPunctuation(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"Éléonore", []string{"eleonore"}},
		{"PROBLÈME de réception", []string{"probleme", "de", "reception"}},
		{"Straße Œuvre", []string{"strasse", "oeuvre"}},
		{"bob@x.example", []string{"bob", "x", "example"}},
		{"+33 6 12-34", []string{"33", "6", "12", "34"}},
		{"'; DROP TABLE messages; --", []string{"drop", "table", "messages"}},
		{"", nil},
		{"   ***  ", nil},
	} {
		require.Equal(t, tc.want, Tokens(tc.in), tc.in)
	}
}

func TestParseSearch(t *testing.T) {
	day := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	for _, tc := range []struct {
		q    string
		want Search
	}{
		{"", Search{}},
		{"livraison", Search{Terms: []Term{{Tokens: []string{"livraison"}}}}},
		{"livr*", Search{Terms: []Term{{Tokens: []string{"livr"}, Prefix: true}}}},
		{`"colis perdu" Réclamation`, Search{Terms: []Term{{Tokens: []string{"colis", "perdu"}}, {Tokens: []string{"reclamation"}}}}},
		{"from:ada@example.com", Search{Terms: []Term{{Tokens: []string{"ada", "example", "com"}, Sender: true}}}},
		{`from:"Ada Lovelace"`, Search{Terms: []Term{{Tokens: []string{"ada", "lovelace"}, Sender: true}}}},
		{`folder:"Service client" status:URGENT source:sms`, Search{Folders: []string{"Service client"},
			Statuses: []inbox.Status{inbox.StatusUrgent}, Sources: []inbox.Source{inbox.SourceSMS}}},
		{"has:attachment is:unread", Search{HasAttachment: true, Unread: true}},
		{"colis sort:relevance", Search{Terms: []Term{{Tokens: []string{"colis"}}}, Relevance: true}},
		{"colis sort:relevance sort:newest", Search{Terms: []Term{{Tokens: []string{"colis"}}}}},
		{"after:2026-01-31 before:2026-02-02", Search{After: day("2026-01-31"), Before: day("2026-02-02")}},
		// Not operators: searched as text.
		{"10:30 a:b", Search{Terms: []Term{{Tokens: []string{"10", "30"}}, {Tokens: []string{"a", "b"}}}}},
		{"from: bob", Search{Terms: []Term{{Tokens: []string{"from"}}, {Tokens: []string{"bob"}}}}},
		{`"unterminated phrase`, Search{Terms: []Term{{Tokens: []string{"unterminated", "phrase"}}}}},
	} {
		got, err := ParseSearch(tc.q)
		require.NoError(t, err, tc.q)
		require.Equal(t, tc.want, got, tc.q)
	}
}

func TestParseSearchRejectsBadOperators(t *testing.T) {
	for _, q := range []string{"status:done", "source:fax", "has:pdf", "is:starred", "after:yesterday", "before:2026-13-01", "sort:random",
		"folder:\"\"", strings.Repeat("a ", maxTerms+1), strings.Repeat("x", maxSearchLen+1), "\xff"} {
		_, err := ParseSearch(q)
		require.ErrorIs(t, err, inbox.ErrInvalid, "%q", q)
		var fe *inbox.FieldError
		require.True(t, errors.As(err, &fe), "%q", q)
		require.Equal(t, "search", fe.Field)
	}
}

// FuzzParseSearch checks that any query either parses into terms made of
// letters and digits only (so the full-text expressions built from them
// cannot carry syntax) or fails with ErrInvalid.
func FuzzParseSearch(f *testing.F) {
	for _, seed := range []string{
		"livraison", `"colis perdu"`, "from:ada@example.com", `folder:"Service client" status:urgent`,
		"has:attachment after:2026-01-01 before:2026-02-01", "'; DROP TABLE messages; --", `" OR 1=1 --`,
		"NEAR(a b) AND c OR NOT d", "sender : x*", "tsv @@ 'a' & !b", "é\u0301\u0000", "a:\"b", "*:*",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, q string) {
		s, err := ParseSearch(q)
		if err != nil {
			require.ErrorIs(t, err, inbox.ErrInvalid)
			return
		}
		for _, term := range s.Terms {
			require.NotEmpty(t, term.Tokens)
			for _, tok := range term.Tokens {
				require.NotEmpty(t, tok)
				for _, r := range tok {
					require.True(t, unicode.IsLetter(r) || unicode.IsNumber(r), "token %q of %q", tok, q)
				}
			}
		}
	})
}

// FuzzFold checks that folding is stable (folding folded text changes
// nothing) and yields lower-case letters and digits separated by single
// spaces.
func FuzzFold(f *testing.F) {
	for _, seed := range []string{"Éléonore", "Straße Œuvre", "e\u0301cole", "bob@x.example", "  a  b  ", "ǅ ﬁ ①"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		folded := Fold(s)
		require.Equal(t, folded, Fold(folded))
		require.False(t, strings.HasPrefix(folded, " ") || strings.HasSuffix(folded, " ") || strings.Contains(folded, "  "), "%q", folded)
		for _, r := range folded {
			require.True(t, r == ' ' || unicode.IsLetter(r) || unicode.IsNumber(r), "%q in %q", r, folded)
		}
	})
}
