package api

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
)

// InvitedEmployee is a new account with the password to hand over, shown
// once.
type InvitedEmployee struct {
	EmployeeView
	Password string `json:"password"`
}

var handleUnsafe = regexp.MustCompile(`[^a-z0-9._-]+`)

// inviteEmployee creates an account for a colleague with a generated
// password the admin hands over; the handle comes from the email.
func (s *Server) inviteEmployee(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Name  string    `json:"name"`
		Email string    `json:"email"`
		Role  auth.Role `json:"role"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Role == "" {
		req.Role = auth.RoleAgent
	}
	tenant := tenantOf(p)
	local, _, _ := strings.Cut(inbox.NormalizeEmail(req.Email), "@")
	base := strings.Trim(handleUnsafe.ReplaceAllString(local, "-"), "-._")
	if base == "" {
		base = "agent"
	}
	base = base[:min(len(base), 28)]
	id := base
	for n := 2; ; n++ {
		if _, err := s.auth.Dir.Account(tenant, id); err != nil {
			break
		}
		id = fmt.Sprintf("%s-%d", base, n)
	}
	password := rand.Text()
	acc, err := s.auth.Dir.CreateAccount(r.Context(), auth.NewAccount{Tenant: tenant, ID: id, Email: req.Email,
		Name: req.Name, Role: req.Role, Password: password})
	if errors.Is(err, inbox.ErrConflict) {
		return inbox.Invalid("email", "already has an account")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, InvitedEmployee{EmployeeView: EmployeeView{ID: acc.ID, Name: acc.Name, Email: acc.Email, Role: acc.Role}, Password: password})
	return nil
}

// patchEmployee changes a colleague's role.
func (s *Server) patchEmployee(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Role auth.Role `json:"role"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	acc, err := s.auth.Dir.SetRole(r.Context(), tenantOf(p), id, req.Role)
	if errors.Is(err, auth.ErrLastAdmin) {
		return inbox.Invalid("role", "the company needs at least one admin; make someone else admin first")
	}
	if err != nil {
		return notFoundAs("employee", id, err)
	}
	writeJSON(w, http.StatusOK, EmployeeView{ID: acc.ID, Name: acc.Name, Email: acc.Email, Role: acc.Role})
	return nil
}
