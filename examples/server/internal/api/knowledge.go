package api

import (
	"fmt"
	"net/http"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/reply"
)

// knowledge returns the knowledge base, or ErrUnsupported when the store
// keeps none.
func (s *Server) knowledge() (*reply.Knowledge, error) {
	if s.kb == nil {
		return nil, fmt.Errorf("this store keeps no knowledge base: %w", inbox.ErrUnsupported)
	}
	return s.kb, nil
}

func (s *Server) listKnowledge(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	kb, err := s.knowledge()
	if err != nil {
		return err
	}
	docs, err := kb.List(r.Context(), tenantOf(p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": mapSlice(docs, knowledgeView)})
	return nil
}

func (s *Server) getKnowledge(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	kb, err := s.knowledge()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	d, err := kb.Get(r.Context(), tenantOf(p), id)
	if err != nil {
		return notFoundAs("document", id, err)
	}
	writeJSON(w, http.StatusOK, knowledgeView(d))
	return nil
}

type knowledgeRequest struct {
	Title   string `json:"title"`
	Format  string `json:"format"`
	Body    string `json:"body"`
	Version int64  `json:"version"`
}

func (s *Server) createKnowledge(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	kb, err := s.knowledge()
	if err != nil {
		return err
	}
	var req knowledgeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	d, err := kb.Add(r.Context(), tenantOf(p), reply.Document{Title: req.Title, Format: req.Format, Body: req.Body}, change(p, 0))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, knowledgeView(d))
	return nil
}

func (s *Server) putKnowledge(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	kb, err := s.knowledge()
	if err != nil {
		return err
	}
	var req knowledgeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	d, err := kb.Update(r.Context(), tenantOf(p), id, reply.Document{Title: req.Title, Format: req.Format, Body: req.Body}, change(p, req.Version))
	if err != nil {
		return notFoundAs("document", id, err)
	}
	writeJSON(w, http.StatusOK, knowledgeView(d))
	return nil
}

func (s *Server) deleteKnowledge(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	kb, err := s.knowledge()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := kb.Delete(r.Context(), tenantOf(p), id, change(p, 0)); err != nil {
		return notFoundAs("document", id, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
