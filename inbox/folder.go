package inbox

import (
	"encoding/json"
	"time"
)

// Folder is a tenant-defined bucket for conversations ("dossier"). Its
// description helps AI classifiers; its rules are evaluated by a rule
// classifier (package classify), which the engine treats as opaque JSON.
type Folder struct {
	ID       string
	TenantID TenantID
	Name     string
	// Description says in natural language what belongs here.
	Description string
	// Position orders folders in the UI and in first-match rule evaluation.
	Position int
	// Rules is the folder's rule set as JSON, validated by the rule
	// classifier when saved.
	Rules     json.RawMessage
	AutoReply AutoReplySettings
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// AutoReplyMode says whether and how a folder answers customers on its own.
type AutoReplyMode string

// Auto-reply modes.
const (
	AutoReplyOff      AutoReplyMode = ""        // no automatic answer
	AutoReplyAuto     AutoReplyMode = "auto"    // generate and send at once
	AutoReplyApproval AutoReplyMode = "approve" // generate a draft a person approves
)

// AutoReplySettings configure a folder's automatic answers.
type AutoReplySettings struct {
	Mode AutoReplyMode `json:"mode,omitempty"`
	// Prompt is appended to the tenant's reply prompt for this folder.
	Prompt string `json:"prompt,omitempty"`
	// UseKnowledge adds knowledge-base passages to the generation context.
	UseKnowledge bool `json:"use_knowledge,omitempty"`
	// MaxPerContactPerDay caps automatic answers per contact; 0 means 3.
	MaxPerContactPerDay int `json:"max_per_contact_per_day,omitempty"`
	// MinConfidence: in automatic mode, an answer the responder is less
	// sure of than this is kept as a draft for a person instead of sent.
	MinConfidence float64 `json:"min_confidence,omitempty"`
}
