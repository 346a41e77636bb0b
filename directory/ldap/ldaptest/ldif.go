package ldaptest

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
)

// record is one LDIF entry: its DN (decoded, for matching) and its unfolded
// lines, which are written back unchanged.
type record struct {
	dn    string
	lines []string
}

// parseLDIF splits LDIF text (RFC 2849 content records, no changetypes)
// into records. Comments are dropped, folded lines joined, and a leading
// "version:" line skipped.
func parseLDIF(text string) ([]*record, error) {
	var recs []*record
	var cur []string
	flush := func() error {
		defer func() { cur = nil }()
		if len(cur) == 0 || (len(recs) == 0 && len(cur) == 1 && strings.HasPrefix(cur[0], "version:")) {
			return nil
		}
		name, dn, err := splitLine(cur[0])
		if err != nil || !strings.EqualFold(name, "dn") {
			return fmt.Errorf("ldaptest: ldif record does not start with dn: %q", cur[0])
		}
		recs = append(recs, &record{dn: dn, lines: cur})
		return nil
	}
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, " ") && len(cur) > 0:
			cur[len(cur)-1] += line[1:]
		case strings.TrimSpace(line) == "":
			if err := flush(); err != nil {
				return nil, err
			}
		default:
			cur = append(cur, line)
		}
	}
	return recs, flush()
}

// splitLine returns the attribute name and the (base64-decoded) value of an
// LDIF line "name: value" or "name:: base64".
func splitLine(line string) (name, value string, err error) {
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		return "", "", fmt.Errorf("ldaptest: ldif line without colon: %q", line)
	}
	if b64, isB64 := strings.CutPrefix(value, ":"); isB64 {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil {
			return "", "", fmt.Errorf("ldaptest: ldif base64 value of %s: %w", name, err)
		}
		return name, string(raw), nil
	}
	return name, strings.TrimLeft(value, " "), nil
}

// values returns the values of attr (case-insensitive) in r.
func (r *record) values(attr string) []string {
	var out []string
	for _, line := range r.lines[1:] {
		name, value, err := splitLine(line)
		if err == nil && strings.EqualFold(name, attr) {
			out = append(out, value)
		}
	}
	return out
}

// normDN is a loose DN normal form for matching test data: lower case, no
// blanks around separators.
func normDN(dn string) string {
	r := strings.NewReplacer(" ,", ",", ", ", ",", " =", "=", "= ", "=")
	return strings.ToLower(r.Replace(strings.TrimSpace(dn)))
}

// addMemberOf appends memberOf values to every entry named in the member
// attribute of a groupOfNames, as the memberof overlay would have done:
// slapadd bypasses overlays, so the harness computes them itself.
func addMemberOf(recs []*record) {
	byDN := make(map[string]*record, len(recs))
	for _, r := range recs {
		byDN[normDN(r.dn)] = r
	}
	for _, g := range recs {
		if !hasObjectClass(g, "groupOfNames") {
			continue
		}
		for _, m := range g.values("member") {
			if u := byDN[normDN(m)]; u != nil {
				u.lines = append(u.lines, "memberOf: "+g.dn)
			}
		}
	}
}

func hasObjectClass(r *record, oc string) bool {
	for _, v := range r.values("objectClass") {
		if strings.EqualFold(v, oc) {
			return true
		}
	}
	return false
}

// generateUsers returns n inetOrgPerson entries user00000… under people,
// user n with the password "password-<n>" as an {SSHA} hash.
func generateUsers(n int, people string) ([]*record, error) {
	recs := make([]*record, 0, n)
	for i := range n {
		uid := UserName(i)
		hash, err := ssha(UserPassword(i))
		if err != nil {
			return nil, err
		}
		recs = append(recs, &record{
			dn: "uid=" + uid + "," + people,
			lines: []string{
				"dn: uid=" + uid + "," + people,
				"objectClass: inetOrgPerson",
				"uid: " + uid, "cn: " + uid, "sn: " + uid,
				"userPassword: " + hash,
			},
		})
	}
	return recs, nil
}

// UserName is the login name of the generated user n (Options.Users).
func UserName(n int) string { return fmt.Sprintf("user%05d", n) }

// UserPassword is the password of the generated user n (Options.Users).
func UserPassword(n int) string { return fmt.Sprintf("password-%d", n) }

// ssha returns the {SSHA} (salted SHA-1) userPassword value of pw, which
// slapd verifies natively.
func ssha(pw string) (string, error) {
	salt := make([]byte, 8)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("ldaptest: salt: %w", err)
	}
	sum := sha1.Sum(append([]byte(pw), salt...))
	return "{SSHA}" + base64.StdEncoding.EncodeToString(append(sum[:], salt...)), nil
}

// writeLDIF writes recs as LDIF.
func writeLDIF(w io.Writer, recs []*record) error {
	bw := bufio.NewWriter(w)
	for _, r := range recs {
		for _, line := range r.lines {
			bw.WriteString(line)
			bw.WriteByte('\n')
		}
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("ldaptest: write ldif: %w", err)
	}
	return nil
}
