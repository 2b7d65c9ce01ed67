package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/inboxkit/inboxkit/inbox"
)

// MinPasswordBytes is the shortest password an account may have.
const MinPasswordBytes = 8

// TokenPrefix starts every API token, so they are recognisable in
// configuration files and secret scanners.
const TokenPrefix = "ibk_"

var accountIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`)

// Directory keeps accounts and API tokens, in memory and, when it has a
// path, in a JSON file (mode 0600) rewritten atomically on every change,
// or, when it has a database, in a table every server instance shares
// (shared.go). It is safe for concurrent use.
type Directory struct {
	path string
	db   *sql.DB
	cost int
	// version is the database document's version the slices hold.
	version int64

	mu       sync.RWMutex
	accounts []Account
	tokens   []Token
	// dummyHash is compared against when an email is unknown, so a login
	// takes as long whether or not the account exists.
	dummyHash []byte
}

var (
	_ inbox.EmployeeDirectory = (*Directory)(nil)
	_ inbox.EmployeeNamer     = (*Directory)(nil)
)

type fileFormat struct {
	Accounts []Account `json:"accounts"`
	Tokens   []Token   `json:"tokens"`
}

// DirectoryOptions configure OpenDirectory.
type DirectoryOptions struct {
	// Path is the JSON file; "" keeps everything in memory.
	Path string
	// DB, when set, is a PostgreSQL database (pgx's database/sql driver)
	// shared by every server instance: accounts and tokens are kept in
	// a table created there, and Path is ignored.
	DB *sql.DB
	// BcryptCost is the bcrypt work factor; 0 means bcrypt.DefaultCost.
	// Tests lower it to bcrypt.MinCost.
	BcryptCost int
}

// OpenDirectory loads the directory from opts.DB, or from opts.Path if
// the file exists.
func OpenDirectory(opts DirectoryOptions) (*Directory, error) {
	d := &Directory{path: opts.Path, db: opts.DB, cost: opts.BcryptCost}
	if d.cost == 0 {
		d.cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte("not a real password"), d.cost)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	d.dummyHash = h
	if d.db != nil {
		d.path = ""
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := createSharedTables(ctx, d.db); err != nil {
			return nil, err
		}
		d.version = -1
		return d, d.refresh(ctx)
	}
	if d.path == "" {
		return d, nil
	}
	raw, err := os.ReadFile(d.path)
	if errors.Is(err, os.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auth: read accounts: %w", err)
	}
	var f fileFormat
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("auth: accounts file %s is not valid JSON: %w", d.path, err)
	}
	d.accounts, d.tokens = f.Accounts, f.Tokens
	return d, nil
}

// save writes the file; the caller holds mu.
func (d *Directory) save() error {
	if d.path == "" {
		return nil
	}
	raw, err := json.MarshalIndent(fileFormat{Accounts: d.accounts, Tokens: d.tokens}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(d.path), 0o700); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(d.path), ".accounts-*")
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: %w", err)
	}
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: write accounts: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: write accounts: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("auth: write accounts: %w", err)
	}
	if err := os.Rename(tmp.Name(), d.path); err != nil {
		return fmt.Errorf("auth: write accounts: %w", err)
	}
	return nil
}

// NewAccount is what CreateAccount needs.
type NewAccount struct {
	Tenant   inbox.TenantID
	ID       string // lower-case handle: letters, digits, . _ -
	Email    string
	Name     string
	Role     Role
	Password string
}

// CreateAccount adds an account. ErrConflict if the id exists in the
// tenant or the email exists anywhere (emails identify logins).
func (d *Directory) CreateAccount(ctx context.Context, in NewAccount) (Account, error) {
	email := inbox.NormalizeEmail(in.Email)
	switch {
	case in.Tenant == "":
		return Account{}, inbox.Invalid("tenant", "is required")
	case !accountIDPattern.MatchString(in.ID):
		return Account{}, inbox.Invalid("id", "must be 1-32 lower-case letters, digits, '.', '_' or '-'")
	case !strings.Contains(email, "@") || len(email) > 254:
		return Account{}, inbox.Invalid("email", "is not an email address")
	case strings.TrimSpace(in.Name) == "" || len(in.Name) > 200 || !utf8.ValidString(in.Name):
		return Account{}, inbox.Invalid("name", "must be 1-200 bytes of text")
	case !in.Role.Valid():
		return Account{}, inbox.Invalid("role", "must be admin or agent")
	case len(in.Password) < MinPasswordBytes:
		return Account{}, inbox.Invalid("password", fmt.Sprintf("must be at least %d bytes", MinPasswordBytes))
	case len(in.Password) > 72:
		return Account{}, inbox.Invalid("password", "must be at most 72 bytes")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(in.Password), d.cost)
	if err != nil {
		return Account{}, fmt.Errorf("auth: hash password: %w", err)
	}
	a := Account{ID: in.ID, TenantID: string(in.Tenant), Email: email, Name: strings.TrimSpace(in.Name), Role: in.Role,
		PasswordHash: hash, CreatedAt: time.Now().UTC()}
	err = d.change(ctx, func() error {
		for _, a := range d.accounts {
			if a.Email == email {
				return fmt.Errorf("account %s: %w", email, inbox.ErrConflict)
			}
			if a.TenantID == string(in.Tenant) && a.ID == in.ID {
				return fmt.Errorf("account %q: %w", in.ID, inbox.ErrConflict)
			}
		}
		d.accounts = append(d.accounts, a)
		return nil
	})
	if err != nil {
		return Account{}, err
	}
	return a, nil
}

// ErrBadCredentials is returned by Authenticate for an unknown email or a
// wrong password, without saying which.
var ErrBadCredentials = fmt.Errorf("email or password is wrong: %w", inbox.ErrUnauthorized)

// Authenticate checks an email and password.
func (d *Directory) Authenticate(ctx context.Context, email, password string) (Account, error) {
	email = inbox.NormalizeEmail(email)
	if err := d.refresh(ctx); err != nil {
		return Account{}, err
	}
	d.mu.RLock()
	var found *Account
	for i := range d.accounts {
		if d.accounts[i].Email == email {
			a := d.accounts[i]
			found = &a
			break
		}
	}
	d.mu.RUnlock()
	if found == nil {
		_ = bcrypt.CompareHashAndPassword(d.dummyHash, []byte(password))
		return Account{}, ErrBadCredentials
	}
	if bcrypt.CompareHashAndPassword(found.PasswordHash, []byte(password)) != nil {
		return Account{}, ErrBadCredentials
	}
	return *found, nil
}

// Account returns an account of a tenant.
func (d *Directory) Account(tenant inbox.TenantID, id string) (Account, error) {
	if !d.fresh() {
		return Account{}, fmt.Errorf("account %q: the accounts cannot be read: %w", id, inbox.ErrTemporary)
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, a := range d.accounts {
		if a.TenantID == string(tenant) && a.ID == id {
			return a, nil
		}
	}
	return Account{}, fmt.Errorf("account %q: %w", id, inbox.ErrNotFound)
}

var _ inbox.AdminLister = (*Directory)(nil)

// TenantAdmins lists the admins of a tenant: the engine notifies them
// when it pauses something on its own.
func (d *Directory) TenantAdmins(_ context.Context, tenant inbox.TenantID) ([]string, error) {
	var ids []string
	for _, a := range d.Accounts(tenant) {
		if a.Role == RoleAdmin {
			ids = append(ids, a.ID)
		}
	}
	return ids, nil
}

// Accounts lists a tenant's accounts ordered by name.
func (d *Directory) Accounts(tenant inbox.TenantID) []Account {
	if !d.fresh() {
		return nil
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []Account
	for _, a := range d.accounts {
		if a.TenantID == string(tenant) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b Account) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// EmployeeExists implements inbox.EmployeeDirectory.
func (d *Directory) EmployeeExists(_ context.Context, tenant inbox.TenantID, id string) (bool, error) {
	_, err := d.Account(tenant, id)
	return err == nil, nil
}

// ErrLastAdmin refuses a change that would leave a tenant without an
// admin: nobody could then manage its accounts and settings.
var ErrLastAdmin = fmt.Errorf("a company needs at least one admin: %w", inbox.ErrConflict)

// SetRole changes an account's role. It takes effect on the account's
// next request, sessions included.
func (d *Directory) SetRole(ctx context.Context, tenant inbox.TenantID, id string, role Role) (Account, error) {
	if !role.Valid() {
		return Account{}, inbox.Invalid("role", "must be admin or agent")
	}
	var out Account
	err := d.change(ctx, func() error {
		i := slices.IndexFunc(d.accounts, func(a Account) bool { return a.TenantID == string(tenant) && a.ID == id })
		if i < 0 {
			return fmt.Errorf("account %q: %w", id, inbox.ErrNotFound)
		}
		if d.accounts[i].Role == RoleAdmin && role != RoleAdmin {
			admins := 0
			for _, a := range d.accounts {
				if a.TenantID == string(tenant) && a.Role == RoleAdmin {
					admins++
				}
			}
			if admins <= 1 {
				return ErrLastAdmin
			}
		}
		d.accounts[i].Role = role
		out = d.accounts[i]
		return nil
	})
	return out, err
}

// EmployeeName is the account's display name, for texts shown to agents.
func (d *Directory) EmployeeName(_ context.Context, tenant inbox.TenantID, id string) (string, bool) {
	a, err := d.Account(tenant, id)
	if err != nil || a.Name == "" {
		return "", false
	}
	return a.Name, true
}

// CreateToken issues an API token for a tenant and returns it in clear
// once; only its hash is kept.
func (d *Directory) CreateToken(ctx context.Context, tenant inbox.TenantID, name string, role Role) (Token, string, error) {
	name = strings.TrimSpace(name)
	switch {
	case tenant == "":
		return Token{}, "", inbox.Invalid("tenant", "is required")
	case name == "" || len(name) > 100:
		return Token{}, "", inbox.Invalid("name", "must be 1-100 bytes")
	case !role.Valid():
		return Token{}, "", inbox.Invalid("role", "must be admin or agent")
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Token{}, "", fmt.Errorf("auth: %w", err)
	}
	clear := TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	t := Token{ID: inbox.NewID(), TenantID: string(tenant), Name: name, Role: role, Hash: hashToken(clear),
		Prefix: clear[:len(TokenPrefix)+6], CreatedAt: time.Now().UTC()}
	if err := d.change(ctx, func() error {
		d.tokens = append(d.tokens, t)
		return nil
	}); err != nil {
		return Token{}, "", err
	}
	return t, clear, nil
}

// Tokens lists a tenant's tokens (hashes included; callers must not show
// them).
func (d *Directory) Tokens(tenant inbox.TenantID) []Token {
	if !d.fresh() {
		return nil
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []Token
	for _, t := range d.tokens {
		if t.TenantID == string(tenant) {
			out = append(out, t)
		}
	}
	return out
}

// RevokeToken deletes a tenant's token. ErrNotFound for another tenant's.
func (d *Directory) RevokeToken(ctx context.Context, tenant inbox.TenantID, id string) error {
	return d.change(ctx, func() error {
		for i, t := range d.tokens {
			if t.TenantID == string(tenant) && t.ID == id {
				d.tokens = slices.Delete(d.tokens, i, i+1)
				return nil
			}
		}
		return fmt.Errorf("token %q: %w", id, inbox.ErrNotFound)
	})
}

// LookupToken finds the token matching a clear-text bearer value.
func (d *Directory) LookupToken(clear string) (Token, bool) {
	if !strings.HasPrefix(clear, TokenPrefix) {
		return Token{}, false
	}
	h := hashToken(clear)
	if !d.fresh() {
		return Token{}, false
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, t := range d.tokens {
		if subtle.ConstantTimeCompare([]byte(t.Hash), []byte(h)) == 1 {
			return t, true
		}
	}
	return Token{}, false
}

func hashToken(clear string) string {
	sum := sha256.Sum256([]byte(clear))
	return hex.EncodeToString(sum[:])
}
