package userfile

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"radiusd/directory"
)

// MaxNameLen is the longest user name accepted, in bytes (RADIUS
// User-Name attributes carry at most 253).
const MaxNameLen = 253

// fileDoc and fileUser mirror users.yaml. They must not implement
// yaml.Unmarshaler: that would silently turn off KnownFields.
type fileDoc struct {
	Users []fileUser `yaml:"users"`
}

type fileUser struct {
	Name         string   `yaml:"name"`
	PasswordHash string   `yaml:"password_hash"`
	Groups       []string `yaml:"groups"`
	Disabled     bool     `yaml:"disabled"`
	Email        string   `yaml:"email"`  // optional; codes by e-mail
	Mobile       string   `yaml:"mobile"` // optional; codes by SMS
}

// entry is one loaded user. hash is nil when the user has no password.
type entry struct {
	user directory.User // Name lower-cased
	hash verifier
}

// userSet is one immutable generation of the users file.
type userSet struct {
	byName map[string]*entry
	// dummy has the most common hash cost of the file (bcrypt at
	// DefaultCost for a file without hashes); Authenticate checks it for
	// unknown users and users without a password.
	dummy verifier
}

// problem is one thing wrong with a users file; line is 0 when unknown.
type problem struct {
	line int
	msg  string
}

// parse decodes and validates a users file. name prefixes every message.
// It returns every problem at once, joined and sorted by line, each as
// "userfile: NAME: line N: users[i].field: what is wrong".
func parse(name string, data []byte) (*userSet, error) {
	var doc fileDoc
	problems, fatal := decodeStrict(data, &doc)
	if !fatal {
		var root yaml.Node
		_ = yaml.Unmarshal(data, &root) // decodeStrict already parsed it
		problems = append(problems, validate(doc.Users, usersNode(&root))...)
	}
	if len(problems) == 0 {
		return build(doc.Users), nil
	}
	slices.SortStableFunc(problems, func(a, b problem) int { return cmp.Compare(a.line, b.line) })
	errs := make([]error, len(problems))
	for i, p := range problems {
		if p.line > 0 {
			errs[i] = fmt.Errorf("userfile: %s: line %d: %s", name, p.line, p.msg)
		} else {
			errs[i] = fmt.Errorf("userfile: %s: %s", name, p.msg)
		}
	}
	return nil, errors.Join(errs...)
}

// decodeStrict decodes data with KnownFields. Unknown keys are returned as
// problems that still allow validation; any other error is fatal.
func decodeStrict(data []byte, doc *fileDoc) (problems []problem, fatal bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(doc)
	if errors.Is(err, io.EOF) {
		return nil, false // empty file: no users
	}
	var te *yaml.TypeError
	if err != nil && !errors.As(err, &te) {
		return []problem{yamlProblem(strings.TrimPrefix(err.Error(), "yaml: "))}, true
	}
	if te != nil {
		for _, msg := range te.Errors {
			p, unknown := rewriteUnknownField(yamlProblem(msg))
			problems = append(problems, p)
			fatal = fatal || !unknown
		}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		problems = append(problems, problem{extra.Line, "only one YAML document is allowed"})
	}
	return problems, fatal
}

var yamlLineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlProblem splits a yaml.v3 message "line N: what" into a problem.
func yamlProblem(msg string) problem {
	m := yamlLineRE.FindStringSubmatch(msg)
	if m == nil {
		return problem{0, msg}
	}
	n, _ := strconv.Atoi(m[1])
	return problem{n, m[2]}
}

var unknownFieldRE = regexp.MustCompile(`^field (.*) not found in type userfile\.(\w+)$`)

// rewriteUnknownField turns yaml's "field X not found in type T" into a
// message that names the key and the keys allowed where it stands.
func rewriteUnknownField(p problem) (problem, bool) {
	m := unknownFieldRE.FindStringSubmatch(p.msg)
	if m == nil {
		return p, false
	}
	where := "at the top level (allowed: users)"
	if m[2] == "fileUser" {
		where = "in a user (allowed: name, password_hash, groups, disabled, email, mobile)"
	}
	return problem{p.line, fmt.Sprintf("unknown key %q %s", m[1], where)}, true
}

// validate returns one message per problem, in file order.
func validate(users []fileUser, items []*yaml.Node) []problem {
	var problems []problem
	add := func(i int, key, format string, args ...any) {
		msg := fmt.Sprintf("users[%d].%s: ", i, key) + fmt.Sprintf(format, args...)
		problems = append(problems, problem{lineOf(items, i, key), msg})
	}
	first := make(map[string]int, len(users))
	for i, u := range users {
		if msg := nameProblem(u.Name); msg != "" {
			add(i, "name", "%s", msg)
		} else if j, dup := first[strings.ToLower(u.Name)]; dup {
			add(i, "name", "%q is a duplicate of users[%d] (names are case-insensitive)", u.Name, j)
		} else {
			first[strings.ToLower(u.Name)] = i
		}
		if u.PasswordHash != "" {
			if _, err := parseHash(u.PasswordHash); err != nil {
				add(i, "password_hash", "%v", err) // never the hash itself
			}
		}
		for k, g := range u.Groups {
			if msg := groupProblem(g); msg != "" {
				add(i, fmt.Sprintf("groups[%d]", k), "%s", msg)
			}
		}
		if msg := emailProblem(u.Email); msg != "" {
			add(i, "email", "%s", msg)
		}
		if msg := mobileProblem(u.Mobile); msg != "" {
			add(i, "mobile", "%s", msg)
		}
	}
	return problems
}

// nameProblem says what is wrong with a user name, or "" if nothing is.
func nameProblem(s string) string {
	switch {
	case s == "":
		return "must not be empty"
	case len(s) > MaxNameLen:
		return fmt.Sprintf("is %d bytes long, more than %d", len(s), MaxNameLen)
	case !utf8.ValidString(s):
		return fmt.Sprintf("%q is not valid UTF-8", s)
	case strings.ContainsFunc(s, unicode.IsControl):
		return fmt.Sprintf("%q contains a control character (NUL, newline, …)", s)
	case strings.TrimSpace(s) != s:
		return fmt.Sprintf("%q has leading or trailing white space", s)
	}
	return ""
}

// groupProblem says what is wrong with a group name, or "" if nothing is.
func groupProblem(s string) string {
	switch {
	case s == "":
		return "must not be empty"
	case !utf8.ValidString(s):
		return fmt.Sprintf("%q is not valid UTF-8", s)
	case strings.ContainsFunc(s, unicode.IsControl):
		return fmt.Sprintf("%q contains a control character", s)
	}
	return ""
}

// emailProblem says what is wrong with an optional e-mail address, or ""
// if nothing is.
func emailProblem(s string) string {
	switch {
	case s == "" || directory.ValidEmail(s):
		return ""
	case len(s) > directory.MaxEmailLen:
		return fmt.Sprintf("is %d bytes long, more than %d", len(s), directory.MaxEmailLen)
	}
	return fmt.Sprintf(`%q is not an e-mail address (one "@" between non-empty parts; `+
		`no white space, control characters or any of "(),:;<>[\])`, s)
}

// mobileProblem says what is wrong with an optional mobile number, or ""
// if nothing is.
func mobileProblem(s string) string {
	switch {
	case s == "" || directory.ValidMobile(s):
		return ""
	case len(s) > directory.MaxMobileLen:
		return fmt.Sprintf("is %d bytes long, more than %d", len(s), directory.MaxMobileLen)
	}
	return fmt.Sprintf("%q is not a mobile number (digits, spaces, +, -, ( and ) only, with %d to %d digits)",
		s, directory.MinMobileDigits, directory.MaxMobileDigits)
}

// build turns validated users into a userSet.
func build(users []fileUser) *userSet {
	set := &userSet{byName: make(map[string]*entry, len(users))}
	counts := map[string]int{}
	var common verifier
	for _, u := range users {
		e := &entry{user: directory.User{
			Name:     strings.ToLower(u.Name),
			Groups:   append([]string(nil), u.Groups...),
			Disabled: u.Disabled,
			Email:    u.Email,
			Mobile:   u.Mobile,
		}}
		if u.PasswordHash != "" {
			e.hash, _ = parseHash(u.PasswordHash) // validate accepted it
			c := e.hash.cost()
			counts[c]++
			if common == nil || counts[c] > counts[common.cost()] {
				common = e.hash
			}
		}
		set.byName[e.user.Name] = e
	}
	if common == nil {
		common = bcryptHash{n: DefaultCost}
	}
	set.dummy = common.dummy()
	return set
}

// usersNode returns the item nodes of the users sequence, or nil.
func usersNode(root *yaml.Node) []*yaml.Node {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	if v := mappingValue(root.Content[0], "users"); v != nil && v.Kind == yaml.SequenceNode {
		return v.Content
	}
	return nil
}

// lineOf returns the line of users[i].key (a "groups[k]" key gives the
// line of that group), of users[i] if the key is absent, or 0.
func lineOf(items []*yaml.Node, i int, key string) int {
	if i >= len(items) {
		return 0
	}
	field, k := key, -1
	if _, err := fmt.Sscanf(key, "groups[%d]", &k); err == nil {
		field = "groups"
	}
	v := mappingValue(items[i], field)
	switch {
	case v == nil:
		return items[i].Line
	case k >= 0 && v.Kind == yaml.SequenceNode && k < len(v.Content):
		return v.Content[k].Line
	}
	return v.Line
}

// mappingValue returns the value node of key in a mapping node, or nil.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Value == key {
			return m.Content[j+1]
		}
	}
	return nil
}
