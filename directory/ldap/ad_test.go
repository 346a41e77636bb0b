package ldap

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"

	"radiusd/directory"
)

// adDiag is the diagnostic message AD sends with a refused bind.
func adDiag(code string) string {
	return "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data " + code + ", v4563"
}

func TestADSubCode(t *testing.T) {
	tests := []struct {
		name, diag, want string
		ok               bool
	}{
		{"wrong password", adDiag("52e"), "52e", true},
		{"upper case hex", adDiag("52E"), "52e", true},
		{"at end", "AcceptSecurityContext error, data 775", "775", true},
		{"followed by space", "error, data 533 v1db1", "533", true},
		{"openldap has no message", "", "", false},
		{"no data field", "invalid credentials", "", false},
		{"data without code", "error, data , v4563", "", false},
		{"not hex", "error, data 5zz, v4563", "", false},
		{"too long", "error, data 123456789, v4563", "", false},
		{"second occurrence", "metadata xyz, data 701, v1", "701", true},
		{"glued word", "error, data 52ex, v1", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := adSubCode(tt.diag)
			if got != tt.want || ok != tt.ok {
				t.Errorf("adSubCode(%q) = %q, %v; want %q, %v", tt.diag, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestBindRefusal(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode string
		want     error
	}{
		{"user not found", refusal(adDiag("525")), "525", directory.ErrInvalidCredentials},
		{"wrong password", refusal(adDiag("52e")), "52e", directory.ErrInvalidCredentials},
		{"not permitted at this time", refusal(adDiag("530")), "530", directory.ErrDisabled},
		{"not permitted at this workstation", refusal(adDiag("531")), "531", directory.ErrDisabled},
		{"password expired", refusal(adDiag("532")), "532", directory.ErrDisabled},
		{"account disabled", refusal(adDiag("533")), "533", directory.ErrDisabled},
		{"account expired", refusal(adDiag("701")), "701", directory.ErrDisabled},
		{"must reset password", refusal(adDiag("773")), "773", directory.ErrDisabled},
		{"locked out", refusal(adDiag("775")), "775", directory.ErrDisabled},
		{"unknown sub-code", refusal(adDiag("999")), "999", directory.ErrInvalidCredentials},
		{"openldap", refusal(""), "", directory.ErrInvalidCredentials},
		{"not an ldap error", errors.New("data 533"), "", directory.ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, reason, err := bindRefusal(tt.err)
			if code != tt.wantCode || !errors.Is(err, tt.want) || (code != "" && reason == "") {
				t.Errorf("bindRefusal = %q, %q, %v; want %q, reason, %v", code, reason, err, tt.wantCode, tt.want)
			}
		})
	}
}

func TestRefusedLogsADReason(t *testing.T) {
	tests := []struct {
		name    string
		diag    string
		want    error
		wantLog string
	}{
		{"locked out", adDiag("775"), directory.ErrDisabled, `user=alice ad_code=775 reason="account locked out"`},
		{"wrong password", adDiag("52e"), directory.ErrInvalidCredentials, `ad_code=52e reason="invalid credentials"`},
		{"openldap logs nothing", "", directory.ErrInvalidCredentials, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, buf := logger()
			d := &Directory{log: log}
			err := d.refused("alice", refusal(tt.diag))
			if !errors.Is(err, tt.want) || !strings.Contains(buf.String(), tt.wantLog) || (tt.wantLog == "") != (buf.String() == "") {
				t.Errorf("refused = %v, log %q; want %v, %q", err, buf, tt.want, tt.wantLog)
			}
			if tt.wantLog != "" && !strings.Contains(buf.String(), "level=INFO") {
				t.Errorf("log %q is not at Info", buf)
			}
		})
	}
}

// refusal is the go-ldap error of a bind refused with diag.
func refusal(diag string) error {
	return goldap.NewError(goldap.LDAPResultInvalidCredentials, errors.New(diag))
}

func TestAccountDisabled(t *testing.T) {
	tests := []struct {
		name, uac string
		want      bool
		wantErr   bool
	}{
		{"absent", "", false, false},
		{"normal account", "512", false, false},
		{"disabled normal account", "514", true, false},
		{"disabled, password never expires", "66050", true, false},
		{"enabled, password never expires", "66048", false, false},
		{"negative (signed 32-bit)", "-2147483646", true, false},
		{"spaces", " 514 ", true, false},
		{"garbage fails closed", "yes", false, true},
		{"hex is not accepted", "0x202", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := accountDisabled(tt.uac)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("accountDisabled(%q) = %v, %v; want %v, error %v", tt.uac, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestToEntryAD(t *testing.T) {
	d := &Directory{cfg: Config{Flavor: ActiveDirectory}}
	tests := []struct {
		name         string
		uac          []string
		wantDisabled bool
		wantErr      bool
	}{
		{"enabled", []string{"512"}, false, false},
		{"disabled", []string{"514"}, true, false},
		{"no attribute", nil, false, false},
		{"unreadable", []string{"x"}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := goldap.NewEntry("CN=Alice,CN=Users,DC=example,DC=org", map[string][]string{"userAccountControl": tt.uac})
			e, err := d.toEntry(u, []string{"g"}, "alice")
			if e.disabled != tt.wantDisabled || (err != nil) != tt.wantErr {
				t.Errorf("toEntry = %+v, %v", e, err)
			}
		})
	}
}

// FuzzADSubCode checks properties of the AD diagnostic parser: it never
// panics, and a code it returns is 1–8 lower-case hex digits that follow
// "data " in the message.
func FuzzADSubCode(f *testing.F) {
	for _, s := range []string{
		adDiag("52e"),          // the usual AD refusal
		adDiag("775"),          // locked out
		"data 533",             // code at the end
		"data ",                // nothing after the marker
		"data data 701,",       // marker repeated
		"data 123456789",       // too long
		"",                     // OpenLDAP sends no message
		"data \x00\xff 52e",    // binary junk
		"80090308: data 5ZE, ", // not hex
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, diag string) {
		code, ok := adSubCode(diag)
		if !ok {
			if code != "" {
				t.Fatalf("%q: not ok but code %q", diag, code)
			}
			return
		}
		if len(code) == 0 || len(code) > 8 || strings.ToLower(code) != code || strings.Trim(code, "0123456789abcdef") != "" {
			t.Fatalf("%q: bad code %q", diag, code)
		}
		if !strings.Contains(strings.ToLower(diag), "data "+code) {
			t.Fatalf("%q: code %q not in message", diag, code)
		}
	})
}

func TestPrimaryGroupSID(t *testing.T) {
	// S-1-5-21-1-2-3-1104: revision 1, 5 sub-authorities, authority 5.
	user := []byte{1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0x50, 0x04, 0, 0}
	want := []byte{1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0x01, 0x02, 0, 0} // …-513
	tests := []struct {
		name string
		sid  []byte
		pgid string
		want []byte
	}{
		{"domain users", user, "513", want},
		{"no primaryGroupID", user, "", nil},
		{"not a number", user, "x", nil},
		{"too large", user, "4294967296", nil},
		{"no sid", nil, "513", nil},
		{"wrong revision", append([]byte{2}, user[1:]...), "513", nil},
		{"length disagrees with the count", user[:len(user)-1], "513", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := primaryGroupSID(tt.sid, tt.pgid)
			if ok != (tt.want != nil) || !bytes.Equal(got, tt.want) {
				t.Fatalf("primaryGroupSID = %x, %v; want %x", got, ok, tt.want)
			}
		})
	}
	if got := escapeBinary([]byte{0x01, 0x2a, 0xff}); got != `\01\2a\ff` {
		t.Errorf("escapeBinary = %q", got)
	}
}
