package email

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSanitizeFilename(t *testing.T) {
	long := strings.Repeat("é", 200) + ".pdf"
	tests := []struct{ in, want string }{
		{"facture.pdf", "facture.pdf"},
		{"../../etc/passwd", "passwd"},
		{`..\..\win.ini`, "win.ini"},
		{"/etc/cron.d/backdoor", "backdoor"},
		{`C:\Windows\System32\drivers\etc\hosts`, "hosts"},
		{"facture\x00.pdf.exe", "facture.pdf.exe"},
		{"rapport\u202efdp.exe", "rapportfdp.exe"},
		{"note\r\nX-Injected: yes.txt", "noteX-Injected: yes.txt"},
		{"zero\u200bwidth.txt", "zerowidth.txt"},
		{"", "attachment"},
		{"..", "attachment"},
		{"dir/.", "attachment"},
		{"  spaced.txt  ", "spaced.txt"},
		{long, strings.Repeat("é", 125) + ".pdf"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			require.Equal(t, tt.want, SanitizeFilename(tt.in))
		})
	}
}
