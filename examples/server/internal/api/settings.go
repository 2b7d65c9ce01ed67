package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
)

// SettingsView is the tenant's editable settings.
type SettingsView struct {
	Name               string                 `json:"name"`
	TimeZone           string                 `json:"time_zone"`
	PhoneCountryCode   string                 `json:"phone_country_code"`
	Newsletter         inbox.NewsletterPolicy `json:"newsletter"`
	NewsletterFolderID string                 `json:"newsletter_folder_id"`
	ReplyPrompt        string                 `json:"reply_prompt"`
	MaskPII            bool                   `json:"mask_pii"`
	ReopenWindowHours  int                    `json:"reopen_window_hours"`
	Features           Features               `json:"features"`
}

func (s *Server) settingsView(t inbox.Tenant) SettingsView {
	return SettingsView{Name: t.Name, TimeZone: t.Settings.TimeZone, PhoneCountryCode: t.Settings.PhoneCountryCode, Newsletter: t.Settings.Newsletter,
		NewsletterFolderID: t.Settings.NewsletterFolderID, ReplyPrompt: t.Settings.ReplyPrompt, MaskPII: t.Settings.MaskPII,
		ReopenWindowHours: int(t.Settings.ReopenWindow / time.Hour), Features: s.features}
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	t, err := s.eng.Tenant(r.Context(), tenantOf(p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.settingsView(t))
	return nil
}

type settingsPatch struct {
	Name               *string                 `json:"name"`
	TimeZone           *string                 `json:"time_zone"`
	PhoneCountryCode   *string                 `json:"phone_country_code"`
	Newsletter         *inbox.NewsletterPolicy `json:"newsletter"`
	NewsletterFolderID *string                 `json:"newsletter_folder_id"`
	ReplyPrompt        *string                 `json:"reply_prompt"`
	MaskPII            *bool                   `json:"mask_pii"`
	ReopenWindowHours  *int                    `json:"reopen_window_hours"`
}

func (s *Server) patchSettings(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req settingsPatch
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	t, err := s.eng.Tenant(ctx, tenantOf(p))
	if err != nil {
		return err
	}
	before := t
	if req.Name != nil {
		n := strings.TrimSpace(*req.Name)
		if n == "" || len(n) > 200 {
			return inbox.Invalid("name", "must be 1-200 bytes")
		}
		t.Name = n
	}
	if req.TimeZone != nil {
		if _, err := time.LoadLocation(*req.TimeZone); err != nil {
			return inbox.Invalid("time_zone", fmt.Sprintf("%q is not an IANA time zone", *req.TimeZone))
		}
		t.Settings.TimeZone = *req.TimeZone
	}
	if req.PhoneCountryCode != nil {
		code := strings.TrimPrefix(strings.TrimSpace(*req.PhoneCountryCode), "+")
		if code != "" && !inbox.ValidCallingCode(code) {
			return inbox.Invalid("phone_country_code", "must be a country calling code such as 33 for France, or empty")
		}
		t.Settings.PhoneCountryCode = code
	}
	if req.Newsletter != nil {
		switch *req.Newsletter {
		case inbox.NewsletterKeep, inbox.NewsletterSkip, inbox.NewsletterSpam, inbox.NewsletterFolder:
			t.Settings.Newsletter = *req.Newsletter
		default:
			return inbox.Invalid("newsletter", "must be \"\", skip, spam or folder")
		}
	}
	if req.NewsletterFolderID != nil {
		t.Settings.NewsletterFolderID = *req.NewsletterFolderID
	}
	if t.Settings.Newsletter == inbox.NewsletterFolder {
		if t.Settings.NewsletterFolderID == "" {
			return inbox.Invalid("newsletter_folder_id", "is required when newsletter is folder")
		}
		if _, err := s.eng.Folder(ctx, t.ID, t.Settings.NewsletterFolderID); errors.Is(err, inbox.ErrNotFound) {
			return inbox.Invalid("newsletter_folder_id", "is not a folder of this tenant")
		} else if err != nil {
			return err
		}
	}
	if req.ReplyPrompt != nil {
		if len(*req.ReplyPrompt) > 20_000 {
			return inbox.Invalid("reply_prompt", "is longer than 20000 bytes")
		}
		t.Settings.ReplyPrompt = strings.TrimSpace(*req.ReplyPrompt)
	}
	if req.MaskPII != nil {
		t.Settings.MaskPII = *req.MaskPII
	}
	if req.ReopenWindowHours != nil {
		if *req.ReopenWindowHours < 0 || *req.ReopenWindowHours > 24*365 {
			return inbox.Invalid("reopen_window_hours", "must be from 0 to 8760")
		}
		t.Settings.ReopenWindow = time.Duration(*req.ReopenWindowHours) * time.Hour
	}
	// The settings are saved first: the engine checks them against the
	// folders, and a refusal then leaves the name unchanged too.
	saved, err := s.eng.UpdateSettings(ctx, t.ID, t.Settings, change(p, 0))
	if err != nil {
		return err
	}
	if t.Name != before.Name {
		if saved, err = s.eng.RenameTenant(ctx, t.ID, t.Name, change(p, 0)); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, s.settingsView(saved))
	return nil
}
