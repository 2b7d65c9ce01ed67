package vonage

import "github.com/inboxkit/inboxkit/inbox"

// MaskPhone hides the middle of a phone number for logs, keeping the
// country prefix and the last two digits: "447700900123" → "4477******23".
func MaskPhone(phone string) string {
	d := inbox.NormalizePhone(phone)
	if len(d) <= 4 {
		return "****"
	}
	keepHead := 4
	if len(d) < 9 {
		keepHead = 2
	}
	b := []byte(d)
	for i := keepHead; i < len(b)-2; i++ {
		b[i] = '*'
	}
	return string(b)
}
