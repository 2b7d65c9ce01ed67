package inbox

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Template is a message template the provider approved for an
// integration. WhatsApp delivers only approved templates outside its
// 24-hour customer care window; the business declares the ones it may use
// on the integration (Integration.Templates), and a reply names one of
// them with its parameters (ReplyRequest.Template).
type Template struct {
	// Name is the template's name at the provider ("order_ready", or
	// "namespace:order_ready").
	Name string `json:"name"`
	// Locale is the approved language ("fr", "en_GB"). A name may be
	// declared once per locale.
	Locale string `json:"locale"`
	// Body is the approved text with numbered placeholders {{1}}, {{2}}...
	// that the parameters fill, in order.
	Body string `json:"body"`
	// Parameters is how many placeholders Body has: each of {{1}} to
	// {{Parameters}} appears, no other.
	Parameters int `json:"parameters"`
}

// TemplateChoice is the template a message is sent with: which declared
// template, and the values of its placeholders.
type TemplateChoice struct {
	Name string `json:"name"`
	// Locale picks among the locales the name is declared in; "" is
	// accepted when there is only one.
	Locale string `json:"locale,omitempty"`
	// Parameters fill {{1}}, {{2}}... in order.
	Parameters []string `json:"parameters,omitempty"`
}

// Limits of declared templates and of their parameters. WhatsApp renders
// a template body of at most 1024 characters and refuses a parameter with
// a line break, a tab or more than four spaces in a row.
const (
	MaxTemplates              = 250
	MaxTemplateBodyChars      = 1024
	MaxTemplateParameterBytes = 1024
)

var (
	templateName   = regexp.MustCompile(`^[A-Za-z0-9_]+(:[A-Za-z0-9_]+)?$`)
	templateLocale = regexp.MustCompile(`^[a-z]{2,3}(_[A-Z]{2})?$`)
	placeholder    = regexp.MustCompile(`\{\{\s*(\d+)\s*\}\}`)
)

// CheckTemplates validates the templates an integration declares: names,
// locales, bodies whose placeholders are exactly {{1}} to
// {{Parameters}}, and each (name, locale) once. Errors are *FieldError on
// "templates[i]...".
func CheckTemplates(ts []Template) error {
	if len(ts) > MaxTemplates {
		return Invalid("templates", fmt.Sprintf("has %d templates, the limit is %d", len(ts), MaxTemplates))
	}
	seen := map[[2]string]bool{}
	for i, t := range ts {
		field := fmt.Sprintf("templates[%d]", i)
		if len(t.Name) > 512 || !templateName.MatchString(t.Name) {
			return Invalid(field+".name", fmt.Sprintf("%s is not a template name: letters, digits and _, as approved by the provider", clip(t.Name)))
		}
		if !templateLocale.MatchString(t.Locale) {
			return Invalid(field+".locale", fmt.Sprintf("%s is not a template language such as fr or en_GB", clip(t.Locale)))
		}
		if seen[[2]string{t.Name, t.Locale}] {
			return Invalid(field, fmt.Sprintf("template %q is declared twice in %s", t.Name, t.Locale))
		}
		seen[[2]string{t.Name, t.Locale}] = true
		if err := checkTemplateBody(t); err != nil {
			return Invalid(field+".body", err.Error())
		}
	}
	return nil
}

func checkTemplateBody(t Template) error {
	switch {
	case strings.TrimSpace(t.Body) == "":
		return fmt.Errorf("is empty")
	case !utf8.ValidString(t.Body) || strings.ContainsRune(t.Body, 0):
		return fmt.Errorf("is not valid text")
	case utf8.RuneCountInString(t.Body) > MaxTemplateBodyChars:
		return fmt.Errorf("has %d characters, the limit is %d", utf8.RuneCountInString(t.Body), MaxTemplateBodyChars)
	case t.Parameters < 0:
		return fmt.Errorf("cannot take %d parameters", t.Parameters)
	}
	used := make([]bool, t.Parameters+1)
	for _, m := range placeholder.FindAllStringSubmatch(t.Body, -1) {
		n, err := strconv.Atoi(m[1])
		if err != nil || n < 1 || n > t.Parameters {
			return fmt.Errorf("uses {{%s}} but the template declares %d parameters", m[1], t.Parameters)
		}
		used[n] = true
	}
	if i := slices.Index(used[1:], false); i >= 0 {
		return fmt.Errorf("does not use {{%d}} although the template declares %d parameters", i+1, t.Parameters)
	}
	return nil
}

// FindTemplate returns the declared template c names. A choice without a
// locale matches a name declared in one locale only. The error is a
// *FieldError on "template" saying what is declared instead.
func FindTemplate(ts []Template, c TemplateChoice) (Template, error) {
	var locales []string
	for _, t := range ts {
		if t.Name != c.Name {
			continue
		}
		if t.Locale == c.Locale {
			return t, nil
		}
		locales = append(locales, t.Locale)
	}
	switch {
	case len(locales) == 0 && len(ts) == 0:
		return Template{}, Invalid("template.name", fmt.Sprintf("%s is not an approved template: this integration declares no templates", clip(c.Name)))
	case len(locales) == 0:
		return Template{}, Invalid("template.name", fmt.Sprintf("%s is not an approved template of this integration", clip(c.Name)))
	case c.Locale == "" && len(locales) == 1:
		for _, t := range ts {
			if t.Name == c.Name {
				return t, nil
			}
		}
	case c.Locale == "":
		return Template{}, Invalid("template.locale", fmt.Sprintf("is required: template %q exists in %s", c.Name, strings.Join(locales, ", ")))
	}
	return Template{}, Invalid("template.locale", fmt.Sprintf("template %q is not approved in %s, only in %s", c.Name, clip(c.Locale), strings.Join(locales, ", ")))
}

// Render fills the template's placeholders with params, checking that
// there is one value per placeholder and that each is a value WhatsApp
// accepts. Errors are *FieldError on "template.parameters".
func (t Template) Render(params []string) (string, error) {
	if len(params) != t.Parameters {
		return "", Invalid("template.parameters", fmt.Sprintf("template %q takes %d parameters, %d were given", t.Name, t.Parameters, len(params)))
	}
	for i, p := range params {
		field := fmt.Sprintf("template.parameters[%d]", i)
		switch {
		case strings.TrimSpace(p) == "":
			return "", Invalid(field, fmt.Sprintf("{{%d}} is empty", i+1))
		case len(p) > MaxTemplateParameterBytes:
			return "", Invalid(field, fmt.Sprintf("{{%d}} is %d bytes, the limit is %d", i+1, len(p), MaxTemplateParameterBytes))
		case !utf8.ValidString(p) || strings.ContainsRune(p, 0):
			return "", Invalid(field, fmt.Sprintf("{{%d}} is not valid text", i+1))
		case strings.ContainsAny(p, "\n\r\t"):
			return "", Invalid(field, fmt.Sprintf("{{%d}} holds a line break or a tab, which templates do not allow", i+1))
		case strings.Contains(p, "     "):
			return "", Invalid(field, fmt.Sprintf("{{%d}} holds more than four spaces in a row, which templates do not allow", i+1))
		}
	}
	text := placeholder.ReplaceAllStringFunc(t.Body, func(m string) string {
		n, _ := strconv.Atoi(placeholder.FindStringSubmatch(m)[1])
		return params[n-1]
	})
	if n := utf8.RuneCountInString(text); n > MaxTemplateBodyChars {
		return "", Invalid("template.parameters", fmt.Sprintf("make the message %d characters long, the limit is %d", n, MaxTemplateBodyChars))
	}
	return text, nil
}
