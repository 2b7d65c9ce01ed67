package textnorm

import (
	"testing"

	"github.com/stretchr/testify/require"
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
		"ΑΘΗΝΑ":                  "αθηνα",
		"Größe Übergabe Ähnlich": "grosse ubergabe ahnlich",
		"¿Dónde está mi pedido?": "¿donde esta mi pedido?",
		"x × y ÷ z":              "x × y ÷ z",
	} {
		require.Equal(t, want, Fold(in), "Fold(%q)", in)
	}
}

func BenchmarkFold(b *testing.B) {
	s := "Bonjour, j'ai un problème avec ma commande n°12345 passée la semaine dernière. Pouvez-vous m'aider ? Merci d'avance, Jean Dupont"
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		_ = Fold(s)
	}
}
