package learn

import (
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/inboxkit/inboxkit/inbox/textfold"
)

// Cues are features that mean the same in every trade and language: a
// lamp shop, a dental clinic and an energy reseller all receive invoices
// with amounts and numbers, appointment requests with dates and times,
// phishing with look-alike links, small fees and deadlines, and bare
// replies ("ok", "STOP", "c qui ?"). Words name the trade; cues carry
// over to a trade the learner has not seen, which is what lets a new
// tenant's first examples generalise. The learner still learns, per
// tenant, which folder each cue points to: cues only say what a message
// contains.
//
// The lists were written from general knowledge of customer mail, not
// from one company's messages; their weight (params.cue) was chosen by
// leave-one-company-out cross-validation.
var (
	urlPattern      = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"]+|\bwww\.[^\s<>"]+|\b[a-z0-9][a-z0-9\-]*\.(?:com|net|info|fr|de|es|co|uk|io|app|club|xyz|org)(?:/[^\s<>"]*)?\b`)
	shortener       = regexp.MustCompile(`(?i)\b(?:bit\.ly|tinyurl|t\.co|goo\.gl|ow\.ly|is\.gd)/`)
	amountPattern   = regexp.MustCompile(`(?i)(?:[€£$]\s?\d[\d\s.,]*|\d[\d\s.,]*\s?(?:€|eur\b|euros?\b|£|\$|usd\b|gbp\b|chf\b))`)
	smallFee        = regexp.MustCompile(`(?i)(?:\b[0-4][.,]\d{2}\s?(?:€|eur|£|\$)|[€£$]\s?[0-4][.,]\d{2}\b)`)
	timePattern     = regexp.MustCompile(`(?i)\b(?:[01]?\d|2[0-3])\s?(?:h|:)\s?(?:[0-5]\d)?\b|\b(?:1[0-2]|0?[1-9])\s?(?:am|pm)\b|\bum\s\d{1,2}\b|\ba\slas\s\d{1,2}\b|\b\d{1,2}\s?uhr\b`)
	datePattern     = regexp.MustCompile(`\b\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?\b`)
	refPattern      = regexp.MustCompile(`\b[A-Z]{1,4}-(?:\d{4}-)?\d{3,}\b|\bn[°o]\s?\d{3,}|#\d{3,}`)
	bankPattern     = regexp.MustCompile(`(?i)\b(?:iban|rib|bic|swift|siret|siren|tva|vat|ust-?id|cif|nif)\b|\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,}`)
	deadlinePattern = regexp.MustCompile(`(?i)\b(?:sous|dans les|within|in the next|innerhalb|en (?:las )?(?:próximas )?)\s?\d{1,3}\s?(?:h\b|heures|hours|stunden|horas|jours|days|tagen|días)|\b\d{1,2}\s?(?:h|hours|heures|stunden|horas)\b`)
	phonePattern    = regexp.MustCompile(`\+?\d(?:[\s.\-]?\d){8,}`)
	quotedPattern   = regexp.MustCompile(`(?m)^\s*>|(?i)\b(?:a écrit|wrote|schrieb|escribió)\s?:`)
)

// cueWords maps folded words to the cues they signal. Words are matched
// whole, after folding (no case, no accents). A word listed under two
// cues signals both ("félicitations": a thank-you, and a prize scam's
// opening); the cues are kept in the order of their names, so every
// process computes the same features and a saved model means the same
// after a restart.
var cueWords = map[string][]string{}

func init() {
	for cue, list := range map[string]string{
		"carrier":  "colissimo chronopost dhl dpd ups gls fedex evri hermes correos seur laposte poste relais packstation",
		"brand":    "ameli enedis edf grdf engie impots antai caf cpam paypal amazon microsoft office365 outlook google stripe aws docusign dropbox onedrive teams linkedin bbva sparkasse hmrc dvla dgt adac iberdrola telekom doctolib netflix apple icloud",
		"click":    "cliquez cliquer click klicken clic pulse lien link enlace confirmez confirmer confirm bestatigen confirme verifiez verifier verify verifique verificar validez valider reglez regularisez payez pay zahlen pague pagar aktualisieren actualice",
		"blocked":  "suspendu suspendue suspended bloque bloquee blocked locked limited gesperrt bloqueada bloqueado restreint restricted expire expires expired desactive deactivated",
		"defect":   "casse cassee brise brisee abime abimee raye rayure rayee tache tachee fendu fendue broken damaged dented scratched cracked kaputt beschadigt gebrochen kratzer defekt roto rota rayado danado defectueux defectueuse defective defectuoso fuit fuite leak leaking flackert flicker flickering grille grillé gresille panne pannes bug bugs plante crash crashes absturz sturzt error erreur fehler mal manque manquant missing fehlt falta wrong falsche falsch equivocado",
		"negative": "decu decue decevant deception inacceptable inadmissible honteux honte scandaleux marre lamentable excede excedee furieux disappointed disappointing unacceptable annoying gutted terrible awful worst enttauscht unzufrieden unverschamt inakzeptabel descontento descontenta pesimo desastre fatal exijo exige exiger demand",
		"return":   "retour retourner retourne echange echanger rembourse remboursement retractation return returns exchange refund replacement zuruckgeben rucksendung rucksendeetikett umtausch widerruf widerrufe erstattung devolver devolucion cambio reembolso",
		"info":     "horaires horaire ouverts ouvert hours open opening offnungszeiten geoffnet horario abierto abiertos parking candidature cv emploi job jobs stage stagiaire internship praktikum apprenti apprentissage alternance question frage pregunta curiosite curiosity wondering accessible hebergement heberge hosted api documentation catalogue catalog",
		"prize":    "gagne gagner felicitations congratulations won winner gewonnen gluckwunsch ganado premio cadeau gift gewinn lotterie lottery",
		"generic":  "cher chere dear geehrter estimado estimada",
		"ack":      "ok okay merci thanks thank thx danke gracias vale parfait perfect top daccord noted passt perfecto cheers bravo felicitations",
		"optout":   "stop arretez arreter unsubscribe desinscrire desabonner abmelden baja",
		"who":      "qui who wer quien",
		"danger":   "gaz gas brule brulee brule burning burnt brand quemado fumee smoke smoking rauch humo etincelles sparks funken chispas incendie fire feuer fuego",
		"medical":  "saigne saignement bleeding blutet sangra sangre gonfle gonflee swollen swelling geschwollen hinchada hinchado fievre fever fieber fiebre douleur douleurs pain schmerzen dolor duele urgences emergency notaufnahme",
		"legal":    "demeure avocat tribunal huissier mediateur plainte justice lawyer solicitor court legal anwalt gericht rechtliche abogado tribunal denuncia",
		"urgent":   "urgent urgence urgente asap immediatement immediately sofort dringend inmediatamente maintenant now jetzt ahora",
		"schedule": "rdv rendez appointment termin cita creneau slot hueco disponible disponibilites availability dispo verschieben decaler reporter reschedule cambiar",
	} {
		for _, w := range strings.Fields(list) {
			if !slices.Contains(cueWords[w], cue) {
				cueWords[w] = append(cueWords[w], cue)
			}
		}
	}
	for _, cs := range cueWords {
		slices.Sort(cs)
	}
}

// freemail are mailbox providers of private persons.
var freemail = setOf(`gmail.com googlemail.com outlook.com outlook.fr outlook.es hotmail.com hotmail.fr hotmail.es hotmail.co.uk live.com live.fr yahoo.com yahoo.fr yahoo.es yahoo.co.uk icloud.com me.com orange.fr wanadoo.fr free.fr sfr.fr laposte.net bbox.fr gmx.de gmx.net web.de t-online.de posteo.de freenet.de btinternet.com telefonica.net aol.com proton.me protonmail.com`)

// maxCueBytes bounds the text cues are looked for in: they are about
// what the customer says first (a link, an amount, a date), and their
// expressions cost time in proportion to the text.
const maxCueBytes = 2 << 10

// cues lists the cues of an example (see the cues variable block).
func cues(ex Example, subjectWords, bodyWords []string) []string {
	text := ex.Subject + "\n" + truncateBytes(ex.Text, maxCueBytes)
	var out []string
	seen := map[string]bool{}
	add := func(c string) {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	urls := urlPattern.FindAllString(text, 4)
	for _, u := range urls {
		add("url")
		host := strings.ToLower(u)
		host = strings.TrimPrefix(strings.TrimPrefix(host, "https://"), "http://")
		host, _, _ = strings.Cut(host, "/")
		if strings.Count(host, "-") >= 1 {
			add("url:hyphen") // look-alike domains: colissimo-suivi-livraison.info
		}
	}
	if shortener.MatchString(text) {
		add("url:short")
	}
	if amountPattern.MatchString(text) {
		add("amount")
		if smallFee.MatchString(text) {
			add("amount:small") // "frais de 1,99 €": parcel and fine phishing
		}
	}
	if timePattern.MatchString(text) {
		add("time")
	}
	if datePattern.MatchString(text) {
		add("date")
	}
	if refPattern.MatchString(text) {
		add("reference")
	}
	if bankPattern.MatchString(text) {
		add("bank")
	}
	if deadlinePattern.MatchString(text) {
		add("deadline")
	}
	if phonePattern.MatchString(text) {
		add("phone")
	}
	if quotedPattern.MatchString(text) {
		add("quoted") // a reply to the company: a customer, not a campaign
	}
	raw := strings.FieldsFunc(textfold.Fold(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for _, w := range raw {
		for _, c := range cueWords[w] {
			add(c)
		}
	}
	// Bare replies: what is left once greetings and thanks are removed.
	content := len(subjectWords) + len(bodyWords)
	switch {
	case content == 0:
		add("len:empty")
	case content <= 3:
		add("len:short")
	case content >= 40:
		add("len:long")
	}
	if len(raw) <= 3 {
		add("len:bare")
	}
	ack := 0
	for _, w := range bodyWords {
		if slices.Contains(cueWords[w], "ack") {
			ack++
		}
	}
	if len(bodyWords) <= 6 && (ack > 0 || seen["ack"]) && !seen["defect"] && !seen["negative"] {
		add("ack:only") // "merci, bien reçu !", "ok ça marche"
	}
	if hasEmojiOnly(ex.Text) {
		add("emoji")
	}
	if s := strings.ToLower(strings.TrimSpace(ex.Sender)); strings.Contains(s, "@") {
		local, domain, _ := strings.Cut(s, "@")
		switch {
		case freemail[domain]:
			add("from:freemail")
		default:
			add("from:company")
			if strings.Contains(domain, "-") {
				add("from:hyphen")
			}
		}
		if strings.Contains(local, "reply") || strings.Contains(local, "repondre") || strings.Contains(local, "antworten") {
			add("from:noreply")
		}
		for _, part := range strings.FieldsFunc(domain, func(r rune) bool { return r == '-' || r == '.' }) {
			if c := conceptOf(textfold.Fold(part)); c != "" {
				add("from:" + c) // enedis-remboursement.com, colissimo-suivi…
			}
			for _, c := range cueWords[part] {
				add("from:" + c)
			}
		}
	}
	return out
}

// hasEmojiOnly reports whether s has symbols and no letter or digit
// ("👍", "🙏🙏").
func hasEmojiOnly(s string) bool {
	sym := false
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			return false
		case unicode.IsSymbol(r) || r > 0x2000:
			sym = true
		}
	}
	return sym
}
