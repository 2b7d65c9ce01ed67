package inbox

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// replyPrefixes are the reply and forward markers mail clients put in front
// of a subject, in the languages customers write in.
var replyPrefixes = []string{
	"re", "fwd", "fw", "tr", "aw", "wg", "sv", "vs", "rv", "antw", "réf.", "réf", "rif", "odp", "enc", "res",
}

// NormalizeSubject strips leading reply and forward prefixes ("Re:",
// "TR :", "AW:", "Réf. :", "Re[2]:") repeatedly and trims space, keeping
// list tags such as "[luminaires-pros]".
func NormalizeSubject(s string) string {
	s = strings.TrimSpace(s)
	for {
		rest, ok := stripPrefix(s)
		if !ok {
			return s
		}
		s = rest
	}
}

func stripPrefix(s string) (string, bool) {
	lower := strings.ToLower(s)
	for _, p := range replyPrefixes {
		if !strings.HasPrefix(lower, p) {
			continue
		}
		rest := s[len(p):]
		// optional counter: "Re[2]:" or "Re(2):"
		if len(rest) > 0 && (rest[0] == '[' || rest[0] == '(') {
			closer := byte(']')
			if rest[0] == '(' {
				closer = ')'
			}
			end := strings.IndexByte(rest, closer)
			if end < 0 || strings.Trim(rest[1:end], "0123456789") != "" {
				continue
			}
			rest = rest[end+1:]
		}
		rest = strings.TrimLeft(rest, " \t")
		if !strings.HasPrefix(rest, ":") && !strings.HasPrefix(rest, "：") {
			continue
		}
		_, size := utf8.DecodeRuneInString(rest)
		return strings.TrimSpace(rest[size:]), true
	}
	return s, false
}

// genericSubjects are subjects too common to thread on: two customers
// writing "Question" are not one conversation.
var genericSubjects = map[string]bool{
	"": true, "question": true, "questions": true, "hello": true, "hi": true, "bonjour": true,
	"salut": true, "hallo": true, "hola": true, "help": true, "aide": true, "info": true,
	"infos": true, "information": true, "informations": true, "demande": true,
	"demande d'information": true, "contact": true, "test": true, "urgent": true,
	"support": true, "no subject": true, "(no subject)": true, "sans objet": true,
	"(sans objet)": true, "kein betreff": true, "anfrage": true, "frage": true,
	"pregunta": true, "consulta": true, "merci": true, "thanks": true, "thank you": true,
	"commande": true, "order": true, "réclamation": true, "problème": true, "problem": true,
}

// IsGenericSubject reports whether a normalized subject is too common to
// thread messages on.
func IsGenericSubject(normalized string) bool {
	s := strings.ToLower(strings.TrimFunc(normalized, func(r rune) bool {
		return unicode.IsSpace(r) || r == '!' || r == '?' || r == '.' || r == '…'
	}))
	if genericSubjects[s] {
		return true
	}
	return utf8.RuneCountInString(s) < 4
}

// ThreadIndexRoot returns the conversation part of an Outlook Thread-Index
// header (its first 22 bytes) in hex, or "" when the header is not one.
func ThreadIndexRoot(header string) string {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(header))
	if err != nil || len(raw) < 22 {
		return ""
	}
	return hex.EncodeToString(raw[:22])
}

// CleanMessageID trims space and angle brackets from an RFC 5322 id.
func CleanMessageID(id string) string {
	return strings.TrimSpace(strings.Trim(strings.TrimSpace(id), "<>"))
}
