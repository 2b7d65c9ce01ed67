package api

import (
	"math"
	"net/http"
	"time"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
)

// SessionView describes the logged-in user.
type SessionView struct {
	User      EmployeeView `json:"user"`
	Tenant    TenantView   `json:"tenant"`
	CSRFToken string       `json:"csrf_token,omitempty"`
	Features  Features     `json:"features"`
}

// EmployeeView is an account without its password hash.
type EmployeeView struct {
	ID    string    `json:"id"`
	Name  string    `json:"name"`
	Email string    `json:"email,omitempty"`
	Role  auth.Role `json:"role"`
}

// TenantView names the tenant.
type TenantView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	// A login posted from another site would sign the victim into the
	// attacker's account (login CSRF): browsers send Origin on such posts.
	if err := s.auth.CheckOrigin(r); err != nil {
		writeProblem(w, r, Problem{Type: typeForbidden, Title: "Forbidden", Status: http.StatusForbidden, Detail: "login from another origin"})
		return
	}
	var req loginRequest
	if err := decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Email == "" {
		s.fail(w, r, inbox.Invalid("email", "is required"))
		return
	}
	if req.Password == "" {
		s.fail(w, r, inbox.Invalid("password", "is required"))
		return
	}
	// The attempt is counted before the password is compared: attempts
	// fired in parallel beyond the limit are refused without a check.
	emailKey := "email:" + inbox.NormalizeEmail(req.Email)
	attempt, wait := s.limiter.Reserve("ip:"+s.clientIP(r), emailKey)
	if attempt == nil {
		rateLimited(w, r, int(math.Ceil(wait.Seconds())))
		return
	}
	defer attempt.Failed() // unless it succeeded below
	acc, err := s.auth.Dir.Authenticate(r.Context(), req.Email, req.Password)
	if err != nil {
		attempt.Failed()
		s.log.Info("api: failed login", "ip", s.clientIP(r))
		s.fail(w, r, err)
		return
	}
	attempt.Succeeded(emailKey)
	sess := s.auth.Login(w, r, acc)
	view, err := s.sessionView(r, auth.Principal{Tenant: acc.TenantID, Actor: acc.ID, Name: acc.Name, Role: acc.Role, Session: &sess})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view)
}

func (s *Server) sessionView(r *http.Request, p auth.Principal) (SessionView, error) {
	t, err := s.eng.Tenant(r.Context(), tenantOf(p))
	if err != nil {
		return SessionView{}, err
	}
	v := SessionView{User: EmployeeView{ID: p.Actor, Name: p.Name, Role: p.Role}, Tenant: TenantView{ID: string(t.ID), Name: t.Name}, Features: s.features}
	if acc, err := s.auth.Dir.Account(tenantOf(p), p.Actor); err == nil {
		v.User.Email = acc.Email
	}
	if p.Session != nil {
		v.CSRFToken = p.Session.CSRF
	}
	return v, nil
}

func (s *Server) session(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	v, err := s.sessionView(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	s.auth.Logout(w, r)
	if p.Session != nil {
		s.hub.endSession(p.Session.ID)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listEmployees(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	accs := s.auth.Dir.Accounts(tenantOf(p))
	out := make([]EmployeeView, 0, len(accs))
	for _, a := range accs {
		out = append(out, EmployeeView{ID: a.ID, Name: a.Name, Email: a.Email, Role: a.Role})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

// TokenView is an API token without its value.
type TokenView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      auth.Role `json:"role"`
	Prefix    string    `json:"prefix"`
	CreatedAt time.Time `json:"created_at"`
	// Token is the clear value, returned once on creation only.
	Token string `json:"token,omitempty"`
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ts := s.auth.Dir.Tokens(tenantOf(p))
	out := make([]TokenView, 0, len(ts))
	for _, t := range ts {
		out = append(out, TokenView{ID: t.ID, Name: t.Name, Role: t.Role, Prefix: t.Prefix, CreatedAt: t.CreatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Name string    `json:"name"`
		Role auth.Role `json:"role"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Role == "" {
		req.Role = auth.RoleAgent
	}
	t, clear, err := s.auth.Dir.CreateToken(r.Context(), tenantOf(p), req.Name, req.Role)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, TokenView{ID: t.ID, Name: t.Name, Role: t.Role, Prefix: t.Prefix, CreatedAt: t.CreatedAt, Token: clear})
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := s.auth.Dir.RevokeToken(r.Context(), tenantOf(p), r.PathValue("id")); err != nil {
		return err
	}
	s.hub.endToken(tenantOf(p), r.PathValue("id"))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// about tells the login page what it may show before anyone logs in: on
// a demo server, the demo login.
func (s *Server) about(w http.ResponseWriter, r *http.Request) {
	v := map[string]any{"product": "inboxkit", "demo": s.features.Demo}
	if s.features.Demo {
		v["demo_login"] = map[string]string{"email": s.features.DemoLogin, "password": s.features.DemoPassword}
	}
	writeJSON(w, http.StatusOK, v)
}
