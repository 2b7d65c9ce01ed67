package email

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// attributionPatterns start the quoted history of a reply: "On … wrote:"
// and its translations, Outlook's header block ("De :", "From:", "Von:",
// "Från:"...), and "-----Original Message-----" separators, in English,
// French, German, Spanish, Italian, Portuguese, Dutch, Swedish, Danish and
// Norwegian.
var attributionPatterns = []*regexp.Regexp{
	// The verb ends the line ("…, Client a écrit :") or, in German, Dutch
	// and the Scandinavian languages, comes before the name ("… skrev
	// Client <c@example.com>:").
	regexp.MustCompile(`(?i)^(le|on|am|el|il|op|em|den)\s.{0,200}?((a écrit|wrote|schrieb|escribió|ha scritto|schreef|escreveu|skrev)\s*:?|(schrieb|schreef|skrev)\s.{1,200}:)\s*$`),
	regexp.MustCompile(`(?i)^-{2,}\s*(original message|message d'origine|ursprüngliche nachricht|mensaje original|messaggio originale|mensagem original|oorspronkelijk bericht|ursprungligt meddelande|oprindelig meddelelse|opprinnelig melding|forwarded message|message transféré|message transmis|weitergeleitete nachricht|mensaje reenviado|messaggio inoltrato|mensagem encaminhada|doorgestuurd bericht|vidarebefordrat meddelande|videresendt meddelelse|videresendt melding)\s*-{2,}`),
	regexp.MustCompile(`(?i)^(de|from|von|van|da|desde|från|fra)\s?:\s*\S`),
}

// attributionAt returns where the attribution starting lines[i] (l, trimmed)
// begins within that line, or -1 when it is not one.
func attributionAt(lines []string, i int, l string) int {
	if !mayBeAttribution(l) {
		return -1
	}
	// An attribution may be wrapped over two lines.
	joined := l
	if i+1 < len(lines) && !strings.HasSuffix(l, ":") {
		joined = l + " " + strings.TrimSpace(lines[i+1])
	}
	for _, p := range attributionPatterns {
		if p == attributionPatterns[0] && !mayHaveVerb(joined) {
			continue // joined holds l: neither can match
		}
		if p.MatchString(l) || (p == attributionPatterns[0] && p.MatchString(joined)) {
			if p == attributionPatterns[2] && !headerBlockFollows(lines[i:]) {
				continue
			}
			line := lines[i]
			return len(line) - len(strings.TrimLeft(line, " \t"))
		}
	}
	return -1
}

// mayBeAttribution rules out, without a regular expression, a line that
// no attribution pattern can match: each starts with "--" or with one of
// their first words followed by a space or a colon. It is true for any
// line whose first word runs into a non-ASCII character, since
// case-insensitive matching folds some of those to ASCII letters (ſ to s).
func mayBeAttribution(l string) bool {
	if strings.HasPrefix(l, "--") {
		return true
	}
	var word [6]byte
	n := 0
	for ; n < len(l) && n < len(word); n++ {
		c := l[n]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c < 'a' || c > 'z' {
			break
		}
		word[n] = c
	}
	if n < len(l) && l[n] >= utf8.RuneSelf {
		return true
	}
	switch string(word[:n]) {
	case "le", "on", "am", "el", "il", "op", "em", "den", "de", "from", "von", "van", "da", "desde", "fra":
		return true
	}
	return false
}

// attributionVerbs are the verbs of the first attribution pattern, in
// lower case.
var attributionVerbs = []string{"écrit", "wrote", "schrieb", "escribió", "scritto", "schreef", "escreveu", "skrev"}

// mayHaveVerb rules out, without a regular expression, a line the first
// attribution pattern cannot match: that pattern needs one of its verbs.
// The line is lowered as the pattern's case folding would match it: the
// long s (ſ) and the Kelvin sign (K) fold to s and k, the only letters
// outside ASCII that fold to a letter of the verbs. Lines opening with
// "Le" or "Il" are common in French mail, and the pattern's bounded
// repetitions made each such line cost tens of microseconds: an eighth of
// a host's CPU while importing mail.
func mayHaveVerb(s string) bool {
	lower := strings.Map(func(r rune) rune {
		switch r {
		case 'ſ':
			return 's'
		case 'K':
			return 'k'
		}
		return unicode.ToLower(r)
	}, s)
	for _, v := range attributionVerbs {
		if strings.Contains(lower, v) {
			return true
		}
	}
	return false
}

// separatorLine is the rule Outlook draws above a quoted header block.
var separatorLine = regexp.MustCompile(`\n[ \t]*_{10,}[ \t]*$`)

// SplitQuoted separates the new part of a reply from the quoted history
// below it (an attribution line, an Outlook header block or a run of "> "
// lines). Display code can fold the history; the stored text keeps both.
// quoted is empty when no history is found.
func SplitQuoted(text string) (reply, quoted string) {
	i := QuotedStart(text)
	if i < 0 {
		return text, ""
	}
	reply = strings.TrimRight(text[:i], " \n")
	reply = strings.TrimRight(separatorLine.ReplaceAllString(reply, ""), " \n")
	return reply, text[i:]
}

// QuotedStart returns the byte offset where quoted history starts in text,
// or -1.
func QuotedStart(text string) int {
	offset := 0
	lines := strings.SplitAfter(text, "\n")
	for i, line := range lines {
		l := strings.TrimSpace(line)
		if offset > 0 && l != "" {
			if at := attributionAt(lines, i, l); at >= 0 {
				return offset + at
			}
			if strings.HasPrefix(l, ">") && quotedRun(lines[i:]) {
				return offset
			}
		}
		offset += len(line)
	}
	return -1
}

// headerBlockFollows reports whether lines start an Outlook-style quoted
// header block: "From:" followed within a few lines by a date, recipient
// or subject field, in the languages of attributionPatterns.
var quotedHeaderField = regexp.MustCompile(`(?i)^(` +
	`sent|date|to|cc|subject|` + // English
	`envoyé|envoyé le|à|objet|` + // French
	`gesendet|datum|an|betreff|` + // German
	`enviado|enviado el|fecha|para|asunto|` + // Spanish
	`inviato|data|a|oggetto|` + // Italian
	`enviada|enviada em|enviado em|assunto|` + // Portuguese
	`verzonden|aan|onderwerp|` + // Dutch
	`skickat|till|kopia|ämne|` + // Swedish
	`sendt|til|emne` + // Danish, Norwegian
	`)\s?:`)

func headerBlockFollows(lines []string) bool {
	for _, l := range lines[1:min(len(lines), 5)] {
		if quotedHeaderField.MatchString(strings.TrimSpace(l)) {
			return true
		}
	}
	return false
}

// quotedRun reports whether the remaining non-blank lines are mostly
// quoted ("> "), so a single quoted line inside new text is not taken for
// history.
func quotedRun(lines []string) bool {
	quoted, other := 0, 0
	for _, l := range lines {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
		case strings.HasPrefix(l, ">"):
			quoted++
		default:
			other++
		}
	}
	return quoted >= 2 && quoted >= other
}
