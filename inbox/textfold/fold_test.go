package textfold

import (
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "",
		"already folded":         "already folded",
		"Problème":               "probleme",
		"PROBLÈME À RÉGLER":      "probleme a regler",
		"Cœur Ærø Straße":        "coeur aero strasse",
		"l’adresse «ici»":        "l'adresse \"ici\"",
		"e\u0301te\u0301":        "ete",
		"Ñandú Ołówek Čeština":   "nandu olowek cestina",
		"RDV — demain\u00a010h":  "rdv - demain 10h",
		"rendez\u2011vous":       "rendez-vous",
		"ΑΘΗΝΑ Ἀθῆναι":           "αθηνα αθηναι",
		"Größe Übergabe Ähnlich": "grosse ubergabe ahnlich",
		"¿Dónde está mi pedido?": "¿donde esta mi pedido?",
		"x × y ÷ z":              "x × y ÷ z",
		"Tiếng Việt":             "tieng viet",
	} {
		require.Equal(t, want, Fold(in), "Fold(%q)", in)
	}
}

func TestTokens(t *testing.T) {
	for in, want := range map[string][]string{
		"":                       nil,
		"  ,;  ":                 nil,
		"Bob.Stone@Corp.example": {"bob", "stone", "corp", "example"},
		"Éléonore":               {"eleonore"},
		"e\u0301te\u0301 l’été":  {"ete", "l", "ete"},
		"10:30 #12345":           {"10", "30", "12345"},
		"Straße œuvre":           {"strasse", "oeuvre"},
		"+33 6 12 34 56 78":      {"33", "6", "12", "34", "56", "78"},
		"東京 タワー":                 {"東京", "タワー"},
		"한국어":                    {"\u1112\u1161\u11ab\u1100\u116e\u11a8\u110b\u1165"},
		"x\u200by":               {"x", "y"},
		"café\u00a0crème":        {"cafe", "creme"},
		"COMMANDE\x00123":        {"commande", "123"},
		"caf\xe9":                {"caf"},
		"ǅemal":                  {"ǆemal"},
		"ﬁle (compat ligature)":  {"ﬁle", "compat", "ligature"},
		"Ǆ and ǆ fold the same":  {"ǆ", "and", "ǆ", "fold", "the", "same"},
	} {
		require.Equal(t, want, Tokens(in), "Tokens(%q)", in)
	}
}

// TestTableMatchesDecomposition checks the generated table against the
// canonical decomposition it was generated from, rune by rune.
func TestTableMatchesDecomposition(t *testing.T) {
	for r := rune(0x80); r <= 0x2FFFF; r++ {
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) {
			continue
		}
		var want strings.Builder
		if l, ok := ligature(unicode.ToLower(r)); ok {
			want.WriteString(l)
		} else {
			for _, d := range norm.NFD.String(string(r)) {
				if unicode.Is(unicode.Mn, d) || !(unicode.IsLetter(d) || unicode.IsNumber(d)) {
					continue
				}
				d = unicode.ToLower(d)
				if l, ok := ligature(d); ok {
					want.WriteString(l)
				} else {
					want.WriteRune(d)
				}
			}
		}
		require.Equal(t, want.String(), Rune(r), "Rune(%U)", r)
	}
}

func ligature(r rune) (string, bool) {
	l, ok := map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ð': "d", 'ł': "l", 'þ': "th", 'ı': "i"}[r]
	return l, ok
}

func FuzzTokens(f *testing.F) {
	for _, s := range []string{"Bob.Stone@Corp.example", "Éléonore", "e\u0301te\u0301", "한국어", "caf\xe9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := Tokens(s)
		// Folding is idempotent, tokens are lower-case letters and digits,
		// and each token is its own only token.
		for _, tok := range toks {
			require.NotEmpty(t, tok)
			require.Equal(t, []string{tok}, Tokens(tok), "token %q of %q", tok, s)
			for _, r := range tok {
				require.True(t, unicode.IsLetter(r) || unicode.IsNumber(r), "%q in %q", r, tok)
			}
		}
		w := Words(s)
		require.Equal(t, w, Words(w))
		require.False(t, strings.HasPrefix(w, " ") || strings.HasSuffix(w, " ") || strings.Contains(w, "  "), "%q", w)
		require.Equal(t, Fold(Fold(s)), Fold(s))
	})
}

func BenchmarkWords(b *testing.B) {
	text := strings.Repeat("Bonjour, j'ai un problème avec ma commande n°4512 livrée à Besançon. ", 40)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Words(text)
	}
}
