package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/template"
	"time"
)

// funcs are the template functions added to text/template's builtins
// (which already include urlquery, printf and len):
//
//	json      the value as a JSON literal, quotes included:
//	          {"to": {{json .To}}, "text": {{json (printf "Code %s" .Code)}}}
//	urlquery  (builtin) the value escaped for a form or query string:
//	          To={{urlquery .To}}&Body={{urlquery .Code}}
var funcs = template.FuncMap{"json": jsonLiteral}

// jsonLiteral returns v encoded as JSON (a quoted, escaped string for
// strings).
func jsonLiteral(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("json: %w", err)
	}
	return string(b), nil
}

// sampleCode is the code of the sample messages New renders to check a
// template; a body that does not show it does not show the code.
const sampleCode = "918273"

// hostile is a sample message full of characters that break JSON, form
// bodies and mail headers when a template forgets to escape them.
var hostile = Message{
	User:    `o'brien "x" \ <a&b=c> %zz ü`,
	To:      `+1 (555) "0100" &x=%zz`,
	Code:    sampleCode,
	Issuer:  `Acme "VPN" & co %zz`,
	Expires: 5 * time.Minute,
}

// parseTemplate parses text as the template name with funcs.
func parseTemplate(name, text string) (*template.Template, error) {
	t, err := template.New(name).Funcs(funcs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%s template: %w", name, err)
	}
	return t, nil
}

// render executes t for m. Its errors never contain m.Code.
func render(t *template.Template, m Message) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, m); err != nil {
		return "", redact(fmt.Errorf("%s template: %w", t.Name(), err), []byte(m.Code))
	}
	return b.String(), nil
}

// renderSample executes t for the sample m, as New does to refuse a
// template that fails (an unknown field, a bad function call) and, when
// needCode is set, one that never shows the code.
func renderSample(t *template.Template, m Message, needCode bool) (string, error) {
	out, err := render(t, m)
	if err != nil {
		return "", err
	}
	if needCode && !strings.Contains(out, m.Code) {
		return "", fmt.Errorf("%s template does not show the code ({{.Code}})", t.Name())
	}
	return out, nil
}
