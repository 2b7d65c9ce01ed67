package auth

import (
	"time"
)

// Role says what an account may do. Admins configure the tenant
// (integrations, folders, rules, tokens); agents work conversations.
type Role string

// Roles.
const (
	RoleAdmin Role = "admin"
	RoleAgent Role = "agent"
)

// Valid reports whether r is admin or agent.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleAgent }

// Account is an employee who can log in. ID doubles as the employee id the
// engine records as actor and assignee, and as the @mention handle.
type Account struct {
	ID           string    `json:"id"`
	TenantID     string    `json:"tenant_id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	PasswordHash []byte    `json:"password_hash"`
	CreatedAt    time.Time `json:"created_at"`
}

// Token is a per-tenant API token. Only its SHA-256 is stored.
type Token struct {
	ID       string `json:"id"`
	TenantID string `json:"tenant_id"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	// Hash is the hex SHA-256 of the token.
	Hash string `json:"hash"`
	// Prefix is the token's first characters, shown to tell tokens apart.
	Prefix    string    `json:"prefix"`
	CreatedAt time.Time `json:"created_at"`
}

// Principal is who makes a request: an employee through a session, or an
// API token acting for its tenant.
type Principal struct {
	Tenant string
	// Actor is the id recorded in the audit log: the account id, or
	// "token:<id>" for API tokens.
	Actor string
	Name  string
	Role  Role
	// Session is set for cookie sessions (which need CSRF checks).
	Session *Session
	// TokenID is set for API tokens.
	TokenID string
}

// IsAdmin reports whether the principal may change the tenant's setup.
func (p Principal) IsAdmin() bool { return p.Role == RoleAdmin }
