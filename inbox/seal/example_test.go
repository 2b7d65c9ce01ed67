package seal_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/seal"
)

func Example() {
	// The host keeps its keys outside the database, newest first.
	k1 := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	k2 := base64.StdEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210"))
	os.Setenv("INBOXKIT_EXAMPLE_KEYS", "k2:"+k2+",k1:"+k1)

	keys, err := seal.KeysFromEnv("INBOXKIT_EXAMPLE_KEYS")
	if err != nil {
		fmt.Println(err)
		return
	}
	sealer, err := seal.New(seal.Options{Keys: keys})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	sc := inbox.SealContext{Tenant: "acme", IntegrationID: "mail-1", Field: "imap.password"}
	ct, _ := sealer.Seal(ctx, []byte("hunter2"), sc)
	id, _ := seal.KeyID(ct)
	fmt.Println("sealed under", id)

	plain, _ := sealer.Open(ctx, ct, sc)
	password := seal.NewSecret(string(plain))
	fmt.Printf("password=%v\n", password)

	_, err = sealer.Open(ctx, ct, inbox.SealContext{Tenant: "acme", IntegrationID: "mail-1", Field: "smtp.password"})
	fmt.Println(err != nil)
	// Output:
	// sealed under k2
	// password=[redacted]
	// true
}
