package inbox_test

import (
	"fmt"

	"github.com/inboxkit/inboxkit/inbox"
)

// ExampleParseSearch shows what a search box query becomes.
func ExampleParseSearch() {
	s, err := inbox.ParseSearch(`"colis perdu" from:ada@example.com status:urgent has:attachment after:2026-01-31 Réclamation`)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range s.Terms {
		fmt.Println(t.Tokens, "sender only:", t.Sender)
	}
	fmt.Println(s.Statuses, s.HasAttachment, s.After.Format("2006-01-02"))
	// Output:
	// [colis perdu] sender only: false
	// [ada example com] sender only: true
	// [reclamation] sender only: false
	// [urgent] true 2026-01-31
}
