package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/inboxkit/inboxkit/examples/server/internal/app"
)

// TestKnowledgeBase runs on both stores: the demo documents are listed,
// admins add, edit and delete documents, agents only read.
func TestKnowledgeBase(t *testing.T) {
	for _, db := range []string{app.MemoryDB, ""} {
		t.Run("db="+db, func(t *testing.T) { testKnowledgeBase(t, db) })
	}
}

func testKnowledgeBase(t *testing.T, db string) {
	a, err := app.New(context.Background(), app.Config{DB: db, DataDir: t.TempDir(), Demo: true, BcryptCost: bcrypt.MinCost})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	ts := httptest.NewServer(a.Handler())
	t.Cleanup(ts.Close)
	c := admin(t, ts.URL)

	var s struct {
		Features struct{ Knowledge bool } `json:"features"`
	}
	c.json(http.MethodGet, "/inbox/session", nil, http.StatusOK, &s)
	require.True(t, s.Features.Knowledge)

	type doc struct {
		ID, Title, Body string
		Version         int64
	}
	var list struct{ Items []doc }
	c.json(http.MethodGet, "/inbox/knowledge", nil, http.StatusOK, &list)
	require.Len(t, list.Items, 4, "the demo's documents")

	var d doc
	c.json(http.MethodPost, "/inbox/knowledge", map[string]any{"title": "Garantie", "format": "markdown", "body": "# Garantie\n\nTous nos luminaires sont garantis deux ans."}, http.StatusCreated, &d)
	c.json(http.MethodPut, "/inbox/knowledge/"+d.ID, map[string]any{"title": "Garantie", "body": "Tous nos luminaires sont garantis trois ans.", "version": d.Version}, http.StatusOK, &d)
	c.json(http.MethodGet, "/inbox/knowledge/"+d.ID, nil, http.StatusOK, &d)
	require.Contains(t, d.Body, "trois ans")
	c.problem(http.MethodPut, "/inbox/knowledge/"+d.ID, map[string]any{"title": "Garantie", "body": "x", "version": 1}, http.StatusConflict)
	p := c.problem(http.MethodPost, "/inbox/knowledge", map[string]any{"title": "", "body": "x"}, http.StatusBadRequest)
	require.NotEmpty(t, p.Errors)

	agent(t, ts.URL).problem(http.MethodPost, "/inbox/knowledge", map[string]any{"title": "x", "body": "y"}, http.StatusForbidden)
	c.json(http.MethodDelete, "/inbox/knowledge/"+d.ID, nil, http.StatusNoContent, nil)
	c.problem(http.MethodGet, "/inbox/knowledge/"+d.ID, nil, http.StatusNotFound)
}
