package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/inboxkit/inboxkit/inbox"
)

// parse decodes and validates a folder's rules, naming the path of the
// first problem ("rules.any[1].all[0].op") in an *inbox.FieldError.
func parse(raw []byte) (RuleSet, bool, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) || bytes.Equal(trimmed, []byte("{}")) {
		return RuleSet{}, false, nil
	}
	if len(raw) > MaxRulesBytes {
		return RuleSet{}, false, inbox.Invalid("rules", fmt.Sprintf("are %d bytes, more than the limit of %d", len(raw), MaxRulesBytes))
	}
	var root any
	if err := json.Unmarshal(trimmed, &root); err != nil {
		return RuleSet{}, false, inbox.Invalid("rules", "malformed JSON: "+err.Error())
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return RuleSet{}, false, inbox.Invalid("rules", "must be a JSON object, got "+typeName(root))
	}
	var rs RuleSet
	if a, ok := obj["actions"]; ok {
		actions, err := parseActions("rules.actions", a)
		if err != nil {
			return RuleSet{}, false, err
		}
		rs.Actions = actions
		delete(obj, "actions")
	}
	if len(obj) == 0 {
		return RuleSet{}, false, inbox.Invalid("rules", "have actions but no condition")
	}
	p := parser{}
	node, err := p.node("rules", obj, 0)
	if err != nil {
		return RuleSet{}, false, err
	}
	rs.Node = node
	return rs, true, nil
}

type parser struct {
	conditions int
}

var nodeKeys = []string{"all", "any", "none", "field", "op", "value", "expr"}

func (p *parser) node(path string, obj map[string]any, depth int) (Node, error) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var kinds []string
	for _, k := range keys {
		switch k {
		case "all", "any", "none", "field", "expr":
			kinds = append(kinds, k)
		case "op", "value":
		default:
			return Node{}, inbox.Invalid(path+"."+k, "unknown key (want one of "+strings.Join(nodeKeys, ", ")+")")
		}
	}
	if len(kinds) != 1 {
		if len(kinds) == 0 {
			if _, ok := obj["op"]; ok {
				return Node{}, inbox.Invalid(path+".field", "is required")
			}
		}
		return Node{}, inbox.Invalid(path, "must have exactly one of all, any, none, field or expr, got "+describeKeys(kinds))
	}
	switch kind := kinds[0]; kind {
	case "all", "any", "none":
		if _, ok := obj["op"]; ok {
			return Node{}, inbox.Invalid(path+".op", "does not apply to a group")
		}
		if _, ok := obj["value"]; ok {
			return Node{}, inbox.Invalid(path+".value", "does not apply to a group")
		}
		if depth >= MaxDepth {
			return Node{}, inbox.Invalid(path+"."+kind, fmt.Sprintf("nests groups deeper than the limit of %d", MaxDepth))
		}
		list, ok := obj[kind].([]any)
		if !ok || len(list) == 0 {
			return Node{}, inbox.Invalid(path+"."+kind, "must be a non-empty list of conditions")
		}
		children := make([]Node, len(list))
		for i, item := range list {
			childPath := fmt.Sprintf("%s.%s[%d]", path, kind, i)
			childObj, ok := item.(map[string]any)
			if !ok {
				return Node{}, inbox.Invalid(childPath, "must be an object, got "+typeName(item))
			}
			child, err := p.node(childPath, childObj, depth+1)
			if err != nil {
				return Node{}, err
			}
			children[i] = child
		}
		switch kind {
		case "all":
			return Node{All: children}, nil
		case "any":
			return Node{Any: children}, nil
		default:
			return Node{None: children}, nil
		}
	case "expr":
		if err := p.count(path); err != nil {
			return Node{}, err
		}
		for _, k := range []string{"op", "value"} {
			if _, ok := obj[k]; ok {
				return Node{}, inbox.Invalid(path+"."+k, "does not apply to an expression")
			}
		}
		src, ok := obj["expr"].(string)
		switch {
		case !ok:
			return Node{}, inbox.Invalid(path+".expr", "must be a string, got "+typeName(obj["expr"]))
		case strings.TrimSpace(src) == "":
			return Node{}, inbox.Invalid(path+".expr", "must not be empty")
		case len(src) > MaxExprLen:
			return Node{}, inbox.Invalid(path+".expr", fmt.Sprintf("is %d bytes, more than the limit of %d", len(src), MaxExprLen))
		case !utf8.ValidString(src):
			return Node{}, inbox.Invalid(path+".expr", "is not valid UTF-8")
		}
		return Node{Expr: src}, nil
	default:
		if err := p.count(path); err != nil {
			return Node{}, err
		}
		return parseCondition(path, obj)
	}
}

func (p *parser) count(path string) error {
	p.conditions++
	if p.conditions > MaxConditions {
		return inbox.Invalid(path, fmt.Sprintf("is one condition too many: the limit is %d per folder", MaxConditions))
	}
	return nil
}

func parseCondition(path string, obj map[string]any) (Node, error) {
	fieldName, ok := obj["field"].(string)
	if !ok {
		return Node{}, inbox.Invalid(path+".field", "must be a string, got "+typeName(obj["field"]))
	}
	field := Field(fieldName)
	kind, known := fields[field]
	if !known {
		return Node{}, inbox.Invalid(path+".field", fmt.Sprintf("unknown field %q", truncate(fieldName, 60)))
	}
	rawOp, present := obj["op"]
	if !present {
		return Node{}, inbox.Invalid(path+".op", "is required")
	}
	opName, ok := rawOp.(string)
	if !ok {
		return Node{}, inbox.Invalid(path+".op", "must be a string, got "+typeName(rawOp))
	}
	op := Op(opName)
	if _, known := ops[op]; !known {
		return Node{}, inbox.Invalid(path+".op", fmt.Sprintf("unknown operator %q", truncate(opName, 60)))
	}
	value, present := obj["value"]
	if !present {
		return Node{}, inbox.Invalid(path+".value", "is required")
	}
	n := Node{Field: field, Op: op}
	valuePath := path + ".value"
	if kind == kindBool {
		if op != OpEquals && op != OpNotEquals {
			return Node{}, inbox.Invalid(path+".op", fmt.Sprintf("operator %q does not apply to the true/false field %q", op, field))
		}
		b, ok := value.(bool)
		if !ok {
			return Node{}, inbox.Invalid(valuePath, fmt.Sprintf("field %q expects true or false, got %s", field, typeName(value)))
		}
		n.Value = b
		return n, nil
	}
	if op == OpIn {
		list, ok := value.([]any)
		if !ok {
			return Node{}, inbox.Invalid(valuePath, fmt.Sprintf("operator \"in\" expects a list of strings, got %s", typeName(value)))
		}
		if len(list) == 0 || len(list) > MaxListLen {
			return Node{}, inbox.Invalid(valuePath, fmt.Sprintf("must list between 1 and %d values, got %d", MaxListLen, len(list)))
		}
		values := make([]string, len(list))
		for i, item := range list {
			s, ok := item.(string)
			if !ok {
				return Node{}, inbox.Invalid(fmt.Sprintf("%s[%d]", valuePath, i), "must be a string, got "+typeName(item))
			}
			if err := checkText(fmt.Sprintf("%s[%d]", valuePath, i), field, op, s); err != nil {
				return Node{}, err
			}
			values[i] = s
		}
		n.Value = values
		return n, nil
	}
	s, ok := value.(string)
	if !ok {
		return Node{}, inbox.Invalid(valuePath, fmt.Sprintf("operator %q expects a string, got %s", op, typeName(value)))
	}
	if err := checkText(valuePath, field, op, s); err != nil {
		return Node{}, err
	}
	n.Value = s
	return n, nil
}

func checkText(path string, field Field, op Op, s string) error {
	limit := MaxValueLen
	if op == OpMatches {
		limit = MaxRegexLen
	}
	switch {
	case len(s) > limit:
		return inbox.Invalid(path, fmt.Sprintf("is %d bytes, more than the limit of %d", len(s), limit))
	case !utf8.ValidString(s):
		return inbox.Invalid(path, "is not valid UTF-8")
	case s == "" && (op == OpEquals || op == OpNotEquals || op == OpIn):
		// "sender email is empty" is every SMS, WhatsApp and webhook
		// message: a rule that files them all by accident.
		return inbox.Invalid(path, fmt.Sprintf("must not be empty: %s %s \"\" holds for every message without a %s (an SMS has no sender email); compare with a value", field, ops[op], strings.ReplaceAll(string(field), "_", " ")))
	case s == "":
		return inbox.Invalid(path, fmt.Sprintf("must not be empty for operator %q", op))
	}
	if field == FieldChannel && (op == OpEquals || op == OpNotEquals || op == OpIn) {
		if src := inbox.Source(strings.ToLower(s)); !src.Valid() {
			return inbox.Invalid(path, fmt.Sprintf("%q is not a channel kind like email, sms, whatsapp or webhook", truncate(s, 60)))
		}
	}
	if op == OpMatches {
		if _, err := foldPattern(s); err != nil {
			return inbox.Invalid(path, "bad regular expression: "+err.Error())
		}
	}
	return nil
}

func parseActions(path string, v any) (Actions, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return Actions{}, inbox.Invalid(path, "must be an object, got "+typeName(v))
	}
	var a Actions
	str := func(key string) (string, error) {
		s, ok := obj[key].(string)
		if !ok {
			return "", inbox.Invalid(path+"."+key, "must be a string, got "+typeName(obj[key]))
		}
		if len(s) > 200 || !utf8.ValidString(s) {
			return "", inbox.Invalid(path+"."+key, "must be valid UTF-8 of at most 200 bytes")
		}
		return s, nil
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch k {
		case "status":
			s, err := str(k)
			if err != nil {
				return Actions{}, err
			}
			if st := inbox.Status(s); st != "" && (!st.Valid() || st.Closed()) {
				return Actions{}, inbox.Invalid(path+".status", fmt.Sprintf("unknown or closing status %q (want new, open, urgent or spam)", truncate(s, 60)))
			}
			a.Status = inbox.Status(s)
		case "intent":
			s, err := str(k)
			if err != nil {
				return Actions{}, err
			}
			in := inbox.Intent(s)
			if !in.Valid() {
				return Actions{}, inbox.Invalid(path+".intent", fmt.Sprintf("unknown intent %q", truncate(s, 60)))
			}
			a.Intent = in
		case "urgency":
			s, err := str(k)
			if err != nil {
				return Actions{}, err
			}
			switch u := inbox.Urgency(s); u {
			case inbox.UrgencyNone, inbox.UrgencyLow, inbox.UrgencyNormal, inbox.UrgencyHigh:
				a.Urgency = u
			default:
				return Actions{}, inbox.Invalid(path+".urgency", fmt.Sprintf("unknown urgency %q (want low, normal or high)", truncate(s, 60)))
			}
		case "assign":
			s, err := str(k)
			if err != nil {
				return Actions{}, err
			}
			a.Assign = s
		case "tags":
			list, ok := obj[k].([]any)
			if !ok {
				return Actions{}, inbox.Invalid(path+".tags", "must be a list of strings, got "+typeName(obj[k]))
			}
			if len(list) > MaxTags {
				return Actions{}, inbox.Invalid(path+".tags", fmt.Sprintf("has %d tags, more than the limit of %d", len(list), MaxTags))
			}
			for i, item := range list {
				s, ok := item.(string)
				if !ok || strings.TrimSpace(s) == "" || len(s) > 64 || !utf8.ValidString(s) {
					return Actions{}, inbox.Invalid(fmt.Sprintf("%s.tags[%d]", path, i), "must be a non-empty string of at most 64 bytes")
				}
				if !slices.Contains(a.Tags, s) {
					a.Tags = append(a.Tags, s)
				}
			}
		case "no_move":
			b, ok := obj[k].(bool)
			if !ok {
				return Actions{}, inbox.Invalid(path+".no_move", "must be true or false, got "+typeName(obj[k]))
			}
			a.NoMove = b
		default:
			return Actions{}, inbox.Invalid(path+"."+k, "unknown action (want status, intent, urgency, assign, tags or no_move)")
		}
	}
	if a.NoMove && a.Status == "" && a.Intent == "" && a.Urgency == "" && a.Assign == "" && len(a.Tags) == 0 {
		return Actions{}, inbox.Invalid(path+".no_move", "leaves nothing to do: add a status, intent, urgency, assignee or tag")
	}
	return a, nil
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, json.Number:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func describeKeys(kinds []string) string {
	if len(kinds) == 0 {
		return "none"
	}
	return strings.Join(kinds, " and ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
