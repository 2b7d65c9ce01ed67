package email

import (
	"regexp"
	"strings"

	"github.com/emersion/go-message"
)

// Kinds of automated mail, in Detection.Kind.
const (
	KindOutOfOffice  = "out-of-office"
	KindBounce       = "bounce"
	KindNewsletter   = "newsletter"
	KindMailingList  = "mailing-list"
	KindBulk         = "bulk"
	KindReceipt      = "receipt"
	KindNotification = "notification"
)

// Detection says whether a message was sent by a machine, and why
// (architecture invariant 5): automated mail never gets an auto-reply and
// never joins a customer's thread.
type Detection struct {
	Automated  bool
	Newsletter bool
	Bounce     bool
	// Kind is one of the Kind constants, "" for mail written by a person.
	Kind string
	// Reason names the strongest signal, e.g. "auto-submitted: auto-replied".
	Reason string
	// Signals lists every signal found, strongest first.
	Signals []string
}

// outOfOfficeSubject matches the subjects auto-responders use when they
// send no header saying so.
var outOfOfficeSubject = regexp.MustCompile(`(?i)^\s*(automatic reply|auto(matic)?[- ]?reply|autoreply|auto:|out of (the )?office|réponse automatique|reponse automatique|absence du bureau|absent du bureau|abwesenheitsnotiz|automatische antwort|respuesta automática|fuera de la oficina|risposta automatica|fuori sede|afwezig|automatisch antwoord)`)

// noReplyLocal matches sender local parts that no person reads.
var noReplyLocal = regexp.MustCompile(`(?i)^(no[-_.]?reply|do[-_.]?not[-_.]?reply|ne[-_.]?pas[-_.]?repondre|nepasrepondre|mailer-daemon|postmaster|bounces?|notifications?|notify|alerts?)([-+._].*)?$`)

// receiptLocal matches role senders of transactional receipts.
var receiptLocal = regexp.MustCompile(`(?i)^(receipts?|invoices?|billing|factures?|facturation|payments?|paiements?)([-+._].*)?$`)

// Detect inspects the headers of a message (and the type of its root
// part) for the signs of automated mail: RFC 3834 Auto-Submitted,
// Precedence, X-Autoreply/X-Autorespond, X-Auto-Response-Suppress,
// List-Id/List-Unsubscribe (RFC 2369, RFC 8058), RFC 3464 delivery reports,
// a null return path, no-reply senders and out-of-office subjects.
func Detect(h message.Header, fromEmail, subject string) Detection {
	var d Detection
	add := func(kind, signal string) {
		d.Signals = append(d.Signals, signal)
		if d.Kind == "" || kindRank[kind] < kindRank[d.Kind] {
			d.Kind = kind
			d.Reason = signal
		}
	}
	local := fromEmail
	if i := strings.LastIndexByte(local, '@'); i >= 0 {
		local = local[:i]
	}

	typ, params := mediaType(h.Get("Content-Type"))
	if typ == "multipart/report" && strings.EqualFold(params["report-type"], "delivery-status") {
		add(KindBounce, "multipart/report; report-type=delivery-status")
	}
	if strings.EqualFold(local, "mailer-daemon") {
		add(KindBounce, "from: mailer-daemon")
	}

	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && v != "no" {
		if strings.HasPrefix(v, "auto-replied") {
			add(KindOutOfOffice, "auto-submitted: auto-replied")
		} else {
			add(KindNotification, "auto-submitted: "+firstWord(v))
		}
	}
	if h.Has("X-Autoreply") || h.Has("X-Autorespond") || h.Has("X-Autoresponder") {
		add(KindOutOfOffice, "x-autoreply")
	}
	switch p := strings.ToLower(strings.TrimSpace(h.Get("Precedence"))); p {
	case "auto_reply", "auto-reply":
		add(KindOutOfOffice, "precedence: "+p)
	case "list":
		add(KindMailingList, "precedence: list")
	case "bulk", "junk":
		add(KindBulk, "precedence: "+p)
	}
	if v := strings.ToLower(h.Get("X-Auto-Response-Suppress")); v != "" {
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
			if f == "all" || f == "oof" || f == "autoreply" {
				add(KindNotification, "x-auto-response-suppress: "+f)
				break
			}
		}
	}

	unsubscribe := h.Has("List-Unsubscribe")
	discussion := h.Has("List-Post")
	switch {
	case h.Has("List-Unsubscribe-Post"):
		add(KindNewsletter, "list-unsubscribe-post: one-click")
	case unsubscribe && h.Has("Feedback-ID"):
		add(KindNewsletter, "list-unsubscribe with feedback-id")
	case unsubscribe && !discussion && !h.Has("List-Id"):
		add(KindNewsletter, "list-unsubscribe")
	}
	if h.Has("List-Id") || discussion {
		add(KindMailingList, "list-id")
	}

	if rp, ok := returnPath(h); ok && rp == "" {
		add(KindNotification, "null return path")
	}
	if noReplyLocal.MatchString(local) {
		add(KindNotification, "no-reply sender")
	}
	if d.Kind != "" && receiptLocal.MatchString(local) {
		add(KindReceipt, "role sender "+strings.ToLower(local)+"@")
	}
	if outOfOfficeSubject.MatchString(subject) {
		add(KindOutOfOffice, "out-of-office subject")
	}

	if d.Kind != "" {
		d.Automated = true
		d.Newsletter = d.Kind == KindNewsletter
		d.Bounce = d.Kind == KindBounce
	}
	return d
}

// kindRank orders kinds when several signals agree that mail is automated:
// a bounce is reported as a bounce even though it is also auto-replied.
var kindRank = map[string]int{
	KindBounce: 0, KindNewsletter: 1, KindMailingList: 2, KindOutOfOffice: 3,
	KindReceipt: 4, KindBulk: 5, KindNotification: 6,
}

// returnPath returns the Return-Path address and whether the header is
// present; "<>" yields "".
func returnPath(h message.Header) (string, bool) {
	if !h.Has("Return-Path") {
		return "", false
	}
	v := strings.TrimSpace(h.Get("Return-Path"))
	v = strings.TrimSpace(strings.Trim(v, "<>"))
	return v, true
}

func firstWord(s string) string {
	if i := strings.IndexAny(s, " ;("); i > 0 {
		return s[:i]
	}
	return s
}

// Unsubscribe is a parsed List-Unsubscribe header (RFC 2369) with the
// RFC 8058 one-click flag.
type Unsubscribe struct {
	// HTTPS is the first https URI, Mailto the first mailto URI.
	HTTPS  string
	Mailto string
	// OneClick is true when List-Unsubscribe-Post asks for an RFC 8058 POST.
	OneClick bool
}

// IsZero reports whether the message carried no unsubscribe method.
func (u Unsubscribe) IsZero() bool { return u.HTTPS == "" && u.Mailto == "" }

var bracketed = regexp.MustCompile(`<([^<>]+)>`)

// ParseUnsubscribe reads List-Unsubscribe and List-Unsubscribe-Post.
func ParseUnsubscribe(h message.Header) Unsubscribe {
	var u Unsubscribe
	for _, m := range bracketed.FindAllStringSubmatch(h.Get("List-Unsubscribe"), -1) {
		uri := strings.Join(strings.Fields(m[1]), "")
		switch lower := strings.ToLower(uri); {
		case strings.HasPrefix(lower, "https://") && u.HTTPS == "":
			u.HTTPS = uri
		case strings.HasPrefix(lower, "mailto:") && u.Mailto == "":
			u.Mailto = uri
		}
	}
	post := strings.ToLower(strings.Join(strings.Fields(h.Get("List-Unsubscribe-Post")), ""))
	u.OneClick = post == "list-unsubscribe=one-click" && u.HTTPS != ""
	return u
}
