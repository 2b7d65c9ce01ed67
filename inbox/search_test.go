package inbox

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"
)

func TestParseSearch(t *testing.T) {
	day := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	for _, tc := range []struct {
		q    string
		want SearchQuery
	}{
		{"", SearchQuery{}},
		{"livraison", SearchQuery{Terms: []SearchTerm{{Tokens: []string{"livraison"}}}}},
		{"livr*", SearchQuery{Terms: []SearchTerm{{Tokens: []string{"livr"}, Prefix: true}}}},
		{`"colis perdu" Réclamation`, SearchQuery{Terms: []SearchTerm{{Tokens: []string{"colis", "perdu"}}, {Tokens: []string{"reclamation"}}}}},
		{"from:ada@example.com", SearchQuery{Terms: []SearchTerm{{Tokens: []string{"ada", "example", "com"}, Sender: true}}}},
		{`from:"Ada Lovelace"`, SearchQuery{Terms: []SearchTerm{{Tokens: []string{"ada", "lovelace"}, Sender: true}}}},
		{`folder:"Service client" status:URGENT source:sms`, SearchQuery{Folders: []string{"Service client"},
			Statuses: []Status{StatusUrgent}, Sources: []Source{SourceSMS}}},
		{"has:attachment is:unread", SearchQuery{HasAttachment: true, Unread: true}},
		{"colis sort:relevance", SearchQuery{Terms: []SearchTerm{{Tokens: []string{"colis"}}}, Relevance: true}},
		{"colis sort:relevance sort:newest", SearchQuery{Terms: []SearchTerm{{Tokens: []string{"colis"}}}}},
		{"after:2026-01-31 before:2026-02-02", SearchQuery{After: day("2026-01-31"), Before: day("2026-02-02")}},
		// Not operators: searched as text.
		{"10:30 a:b", SearchQuery{Terms: []SearchTerm{{Tokens: []string{"10", "30"}}, {Tokens: []string{"a", "b"}}}}},
		{"from: bob", SearchQuery{Terms: []SearchTerm{{Tokens: []string{"from"}}, {Tokens: []string{"bob"}}}}},
		{`"unterminated phrase`, SearchQuery{Terms: []SearchTerm{{Tokens: []string{"unterminated", "phrase"}}}}},
	} {
		got, err := ParseSearch(tc.q)
		require.NoError(t, err, tc.q)
		require.Equal(t, tc.want, got, tc.q)
	}
}

func TestParseSearchRejectsBadOperators(t *testing.T) {
	for _, q := range []string{"status:done", "source:f@x", "has:pdf", "is:starred", "after:yesterday", "before:2026-13-01", "sort:random",
		"folder:\"\"", strings.Repeat("a ", maxTerms+1), strings.Repeat("x", MaxSearchBytes+1), "\xff"} {
		_, err := ParseSearch(q)
		require.ErrorIs(t, err, ErrInvalid, "%q", q)
		var fe *FieldError
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
			require.ErrorIs(t, err, ErrInvalid)
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
