package auth_test

import (
	"context"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
)

func Example() {
	ctx := context.Background()
	dir, _ := auth.OpenDirectory(auth.DirectoryOptions{BcryptCost: bcrypt.MinCost}) // in memory
	_, err := dir.CreateAccount(ctx, auth.NewAccount{Tenant: "maison-lumiere", ID: "claire",
		Email: "claire@maison-lumiere.example", Name: "Claire Martin", Role: auth.RoleAdmin, Password: "lumiere-demo"})
	if err != nil {
		panic(err)
	}
	acc, err := dir.Authenticate(ctx, "Claire@Maison-Lumiere.example", "lumiere-demo")
	fmt.Println(acc.ID, acc.Role, err)
	_, err = dir.Authenticate(ctx, "claire@maison-lumiere.example", "guess")
	fmt.Println(err)
	ok, _ := dir.EmployeeExists(ctx, "maison-lumiere", "claire")
	fmt.Println("employee exists:", ok)
	// Output:
	// claire admin <nil>
	// email or password is wrong: unauthorized
	// employee exists: true
}
