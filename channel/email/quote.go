package email

import (
	"regexp"
	"strings"
)

// attributionPatterns start the quoted history of a reply: "On … wrote:"
// and its translations, Outlook's header block ("De :", "From:", "Von:"),
// and "-----Original Message-----" separators.
var attributionPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)^(le|on|am|el|il|op|em)\s.{0,200}?(a écrit|wrote|schrieb|escribió|ha scritto|schreef|escreveu)\s*:?\s*$`),
	regexp.MustCompile(`(?i)^-{2,}\s*(original message|message d'origine|ursprüngliche nachricht|mensaje original|messaggio originale|forwarded message|message transféré|message transmis)\s*-{2,}`),
	regexp.MustCompile(`(?i)^(de|from|von|van|da|desde)\s?:\s*\S`),
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
			// An attribution may be wrapped over two lines.
			joined := l
			if i+1 < len(lines) && !strings.HasSuffix(l, ":") {
				joined = l + " " + strings.TrimSpace(lines[i+1])
			}
			for _, p := range attributionPatterns {
				if p.MatchString(l) || (p == attributionPatterns[0] && p.MatchString(joined)) {
					if p == attributionPatterns[2] && !headerBlockFollows(lines[i:]) {
						continue
					}
					return offset + len(line) - len(strings.TrimLeft(line, " \t"))
				}
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
// header block: "From:" followed within a few lines by a date or subject
// field.
var quotedHeaderField = regexp.MustCompile(`(?i)^(envoyé|sent|gesendet|date|datum|fecha|inviato|objet|subject|betreff|asunto|oggetto|à|to|an|para|a)\s?:`)

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
