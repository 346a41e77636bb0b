package adtest

import (
	"context"
	"encoding/binary"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	goldap "github.com/go-ldap/ldap/v3"
)

// userAccountControl flags (MS-ADTS 2.2.16).
const (
	uacAccountDisable    = 0x2
	uacNormalAccount     = 0x200
	uacDontExpirePasswd  = 0x10000
	ntEpochOffsetSeconds = 11644473600 // 1601-01-01 to 1970-01-01
)

// admin opens an LDAPS connection bound as the domain Administrator.
func (dc *DC) admin(t testing.TB) *goldap.Conn {
	t.Helper()
	conn, err := dc.dial(dc.AdminDN, dc.AdminPassword)
	if err != nil {
		t.Fatalf("adtest: %v", err)
	}
	return conn
}

// AddUser creates an enabled user in CN=Users: cn and sAMAccountName name,
// userPrincipalName name@example.test, the given password (complexity is
// off) and "password never expires". name must be a valid sAMAccountName.
func (dc *DC) AddUser(t testing.TB, name, password string) {
	t.Helper()
	req := goldap.NewAddRequest(dc.UserDN(name), nil)
	req.Attribute("objectClass", []string{"top", "person", "organizationalPerson", "user"})
	req.Attribute("sAMAccountName", []string{name})
	req.Attribute("userPrincipalName", []string{dc.UPN(name)})
	req.Attribute("unicodePwd", []string{unicodePwd(password)})
	req.Attribute("userAccountControl", []string{strconv.Itoa(uacNormalAccount | uacDontExpirePasswd)})
	dc.add(t, req)
}

// AddGroup creates a global security group in CN=Users named name.
func (dc *DC) AddGroup(t testing.TB, name string) {
	t.Helper()
	req := goldap.NewAddRequest(dc.GroupDN(name), nil)
	req.Attribute("objectClass", []string{"top", "group"})
	req.Attribute("sAMAccountName", []string{name})
	dc.add(t, req)
}

func (dc *DC) add(t testing.TB, req *goldap.AddRequest) {
	t.Helper()
	conn := dc.admin(t)
	defer conn.Close()
	if err := conn.Add(req); err != nil {
		t.Fatalf("adtest: add %s: %v", req.DN, err)
	}
}

// AddMember adds the user or group named member (made by AddUser or
// AddGroup) to group; a group member nests.
func (dc *DC) AddMember(t testing.TB, group, member string) {
	t.Helper()
	req := goldap.NewModifyRequest(dc.GroupDN(group), nil)
	req.Add("member", []string{dc.UserDN(member)})
	dc.modify(t, req)
}

// SetAttribute replaces attr of the user or group named name (made by
// AddUser or AddGroup) with values, e.g. mail or mobile.
func (dc *DC) SetAttribute(t testing.TB, name, attr string, values ...string) {
	t.Helper()
	req := goldap.NewModifyRequest(dc.UserDN(name), nil)
	req.Replace(attr, values)
	dc.modify(t, req)
}

// DisableUser sets ACCOUNTDISABLE (0x2) in the user's userAccountControl;
// binds then fail with LDAP 49 "data 533".
func (dc *DC) DisableUser(t testing.TB, name string) {
	t.Helper()
	uac := dc.uac(t, name)
	req := goldap.NewModifyRequest(dc.UserDN(name), nil)
	req.Replace("userAccountControl", []string{strconv.Itoa(uac | uacAccountDisable)})
	dc.modify(t, req)
}

// MustChangePassword clears "password never expires" and sets pwdLastSet
// to 0 ("user must change password at next logon"); binds then fail with
// LDAP 49 "data 773".
func (dc *DC) MustChangePassword(t testing.TB, name string) {
	t.Helper()
	uac := dc.uac(t, name)
	req := goldap.NewModifyRequest(dc.UserDN(name), nil)
	req.Replace("userAccountControl", []string{strconv.Itoa(uac &^ uacDontExpirePasswd)})
	req.Replace("pwdLastSet", []string{"0"})
	dc.modify(t, req)
}

func (dc *DC) modify(t testing.TB, req *goldap.ModifyRequest) {
	t.Helper()
	conn := dc.admin(t)
	defer conn.Close()
	if err := conn.Modify(req); err != nil {
		t.Fatalf("adtest: modify %s: %v", req.DN, err)
	}
}

// ExpirePassword makes the user's password expired by age; binds then fail
// with LDAP 49 "data 532" and msDS-User-Account-Control-Computed has
// UF_PASSWORD_EXPIRED (0x800000). It clears "password never expires",
// applies a PSO with a 2-day maximum age (Samba treats a maximum below one
// day as "never") and moves pwdLastSet 3 days back by writing the domain
// partition without modules (neither LDAP nor Samba's modules allow a
// pwdLastSet other than 0 or -1).
func (dc *DC) ExpirePassword(t testing.TB, name string) {
	t.Helper()
	uac := dc.uac(t, name)
	req := goldap.NewModifyRequest(dc.UserDN(name), nil)
	req.Replace("userAccountControl", []string{strconv.Itoa(uac &^ uacDontExpirePasswd)})
	dc.modify(t, req)
	pso := goldap.NewModifyRequest(psoDN, nil)
	pso.Add("msDS-PSOAppliesTo", []string{dc.UserDN(name)})
	dc.modify(t, pso)
	lastSet := ntTime(time.Now().Add(-3 * 24 * time.Hour))
	if err := dc.rawReplace(dc.UserDN(name), "pwdLastSet", strconv.FormatInt(lastSet, 10)); err != nil {
		t.Fatalf("adtest: expire password of %s: %v", name, err)
	}
}

// rawScript replaces one attribute in an ldb file with no modules loaded:
// argv = file, dn, attribute, value.
const rawScript = `import sys, ldb
db = ldb.Ldb(url=sys.argv[1], options=["modules:"])
m = ldb.Message()
m.dn = ldb.Dn(db, sys.argv[2])
m[sys.argv[3]] = ldb.MessageElement(sys.argv[4], ldb.FLAG_MOD_REPLACE, sys.argv[3])
db.modify(m)
`

// rawReplace writes attr=value on dn in the domain partition's ldb file,
// bypassing Samba's checks; samba reads the change on its next search.
func (dc *DC) rawReplace(dn, attr, value string) error {
	part := filepath.Join(dc.Dir, "private", "sam.ldb.d", strings.ToUpper(BaseDN)+".ldb")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, dc.python, "-c", rawScript, part, dn, attr, value)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w\n%s", dc.python, err, out)
	}
	return nil
}

// BadPwdCount returns the user's badPwdCount (failed binds since the last
// good one; counted because the lockout threshold is 65535, not 0).
func (dc *DC) BadPwdCount(t testing.TB, name string) int {
	t.Helper()
	return dc.intAttr(t, name, "badPwdCount")
}

func (dc *DC) uac(t testing.TB, name string) int {
	t.Helper()
	return dc.intAttr(t, name, "userAccountControl")
}

// intAttr reads one integer attribute of the account name as Administrator.
func (dc *DC) intAttr(t testing.TB, name, attr string) int {
	t.Helper()
	conn := dc.admin(t)
	defer conn.Close()
	req := goldap.NewSearchRequest(dc.UserDN(name), goldap.ScopeBaseObject, goldap.NeverDerefAliases,
		1, 10, false, "(objectClass=*)", []string{attr}, nil)
	res, err := conn.Search(req)
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("adtest: read %s of %s: %v", attr, name, err)
	}
	v := res.Entries[0].GetAttributeValue(attr)
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("adtest: %s of %s is %q: %v", attr, name, v, err)
	}
	return n
}

// unicodePwd encodes a password as AD wants it: the quoted password in
// UTF-16LE (MS-ADTS 3.1.1.3.1.5.1).
func unicodePwd(password string) string {
	u := utf16.Encode([]rune(`"` + password + `"`))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return string(b)
}

// ntTime converts t to 100-nanosecond intervals since 1601-01-01 UTC.
func ntTime(t time.Time) int64 {
	return (t.Unix()+ntEpochOffsetSeconds)*10_000_000 + int64(t.Nanosecond()/100)
}
