package email

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMayBeAttributionNeverHidesAMatch checks the cheap filter in front of
// the attribution patterns: a line it rules out matches none of them.
func TestMayBeAttributionNeverHidesAMatch(t *testing.T) {
	lines := []string{
		"Le 4 mars 2024 à 10:00, Client <c@example.com> a écrit :", "Den 8 april 2024 kl. 16:02 skrev Kund:",
		"Från: Maison", "FRÅN: x", "Fra: y", "Skickat: den 8 april", "Ämne: x", "den", "fra", "Denmark",
		"-----Ursprungligt meddelande-----", "-----Oorspronkelijk bericht-----", "-----Mensagem original-----",
		"LE 4 MARS, X A ÉCRIT:", "On Mon, 4 Mar 2024, Shop wrote:", "Am 04.03.2024 schrieb Kunde:",
		"El lun, 4 mar 2024, escribió:", "Il giorno lun ha scritto:", "Op ma 4 mrt schreef:", "Em seg escreveu:",
		"-----Original Message-----", "-- Message transféré --", "--", "-",
		"De : Client", "De: Client", "From: x", "FROM:x", "Von: y", "Van: z", "Da: w", "Desde: v",
		"deſde: v", "DEſDE : v", "Deſde: v", "desdeſ: v", "leſ", "ﬀrom: x",
		"Lesson learned", "Online wrote:", "Dear customer", "Delivered", "Fromage", "Bonjour,", "Merci",
		"Léa wrote:", "élan", "", ">", "> quoted", "12:00", ":", "onwrote:", "de", "le", "from",
	}
	requireRuledOutLinesNeverMatch(t, lines)
	t.Run("corpus", func(t *testing.T) {
		requireRuledOutLinesNeverMatch(t, corpusLines(t))
	})
}

// corpusLines returns every line of the mail corpus, trimmed.
func corpusLines(t *testing.T) []string {
	t.Helper()
	var lines []string
	for _, f := range corpusFiles(t) {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		for l := range strings.SplitSeq(string(raw), "\n") {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	return lines
}

func requireRuledOutLinesNeverMatch(t *testing.T, lines []string) {
	t.Helper()
	for _, l := range lines {
		if mayBeAttribution(l) {
			continue
		}
		for _, p := range attributionPatterns {
			require.False(t, p.MatchString(l), "%q is ruled out but matches %s", l, p)
			require.False(t, p.MatchString(l+" a écrit :"), "%q is ruled out but matches %s when joined", l, p)
		}
	}
}

// TestMayHaveVerbNeverHidesAMatch checks the verb filter in front of the
// first attribution pattern: a line it rules out never matches it, also
// in capitals or with letters that fold to ASCII ones.
func TestMayHaveVerbNeverHidesAMatch(t *testing.T) {
	lines := []string{
		"On Mon, 4 Mar 2024, Shop wrote:", "ON MON, SHOP WROTE :", "On Mon, Shop Wrote", "Am 04.03.2024 schrieb Kunde:",
		"Am 4. März 2024 um 10:00 schrieb Kunde <k@example.com>:", "Op ma 4 mrt 2024 schreef Klant <k@example.com>:",
		"Den 8 april 2024 kl. 16:02 skrev Kund:", "Den 8 april 2024 kl. 16:02 sKrev Kund:", "On Mon, Shop ſkrev:",
		"Il giorno lun ha scritto:", "Em seg escreveu:", "El lun, 4 mar 2024, escribió:", "Le 4 mars, Client a écrit :",
		"LE 4 MARS, X A ÉCRIT:", "Le client a commandé deux articles", "On the other hand, we wrote nothing", "Il faut",
		"Le 4 mars à 10:00, Client <c@example.com>", "On Monday the shop", "", "le", "on wrote:", "den skrev",
		"Le client a demandé où en est le colis", "Il a écrit :", "Le 4 mars, Client A ÉCRIT :", "El lun, Cliente ESCRIBIÓ:",
		"Den 8 april 2024 kl. 16:02 ſKrev Kund:", "Il giorno lun ha SCRITTO:",
	}
	for _, l := range lines {
		if mayHaveVerb(l) {
			continue
		}
		require.False(t, attributionPatterns[0].MatchString(l), "%q is ruled out but matches", l)
	}
	require.False(t, mayHaveVerb("Le client a commandé deux articles"[:9]), "an ASCII line without a verb is ruled out")
	require.True(t, mayHaveVerb("Den 8 april 2024 kl. 16:02 sKrev Kund:"), "a Kelvin sign may fold to k")
	require.False(t, mayHaveVerb("Le client a demandé où en est le colis"), "accents alone do not keep a line")
	t.Run("corpus", func(t *testing.T) {
		for _, l := range corpusLines(t) {
			if !mayHaveVerb(l) {
				require.False(t, attributionPatterns[0].MatchString(l), "%q is ruled out but matches", l)
			}
		}
	})
}

// TestSplitQuotedOutlookBlocks finds the quoted history behind the header
// block Outlook writes in each language, and behind the attribution lines
// and separators of other clients.
func TestSplitQuotedOutlookBlocks(t *testing.T) {
	blocks := map[string]string{
		"swedish":              "Från: Maison Lumière <support@shop.example>\nSkickat: den 8 april 2024 16:02\nTill: Karin <k@x.example>\nÄmne: Re: Leverans\n",
		"dutch":                "Van: Maison Lumière <support@shop.example>\nVerzonden: maandag 8 april 2024 16:02\nAan: Joost <j@x.example>\nOnderwerp: RE: Levering\n",
		"spanish":              "De: Maison Lumière <support@shop.example>\nEnviado el: lunes, 8 de abril de 2024 16:02\nPara: Lucía <l@x.example>\nAsunto: RE: Entrega\n",
		"italian":              "Da: Maison Lumière <support@shop.example>\nInviato: lunedì 8 aprile 2024 16:02\nA: Giulia <g@x.example>\nOggetto: R: Consegna\n",
		"portuguese":           "De: Maison Lumière <support@shop.example>\nEnviada em: segunda-feira, 8 de abril de 2024 16:02\nPara: João <j@x.example>\nAssunto: RE: Entrega\n",
		"danish":               "Fra: Maison Lumière <support@shop.example>\nSendt: 8. april 2024 16:02\nTil: Mette <m@x.example>\nEmne: SV: Levering\n",
		"swedish attribution":  "Den mån 8 apr. 2024 kl. 16:02 skrev Maison Lumière <support@shop.example>:\n> Hej\n",
		"german attribution":   "Am Mo., 8. Apr. 2024 um 16:02 Uhr schrieb Maison Lumière <support@shop.example>:\n> Hallo\n",
		"dutch attribution":    "Op ma 8 apr 2024 om 16:02 schreef Maison Lumière <support@shop.example>:\n> Hallo\n",
		"swedish separator":    "-----Ursprungligt meddelande-----\nFrån: Maison Lumière\n",
		"dutch separator":      "-----Oorspronkelijk bericht-----\nVan: Maison Lumière\n",
		"portuguese separator": "-----Mensagem original-----\nDe: Maison Lumière\n",
	}
	for lang, block := range blocks {
		text := "Hej,\nthe lamp has still not arrived.\n\n" + block + "\nOur earlier answer.\n"
		reply, quoted := SplitQuoted(text)
		require.Equal(t, "Hej,\nthe lamp has still not arrived.", reply, lang)
		require.Equal(t, block+"\nOur earlier answer.\n", quoted, lang)
	}
	// A lone "Till:" line in new text is not history.
	_, quoted := SplitQuoted("Hej,\nTill: er butik i Lund.\nKarin")
	require.Empty(t, quoted)
}
