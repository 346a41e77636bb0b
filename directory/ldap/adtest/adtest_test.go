//go:build unix

package adtest_test

import (
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"radiusd/directory/ldap/adtest"
)

// dialLDAPS binds as dn over LDAPS, verifying the DC certificate.
func dialLDAPS(t *testing.T, dc *adtest.DC, dn, password string) (*goldap.Conn, error) {
	t.Helper()
	cfg, err := dc.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := goldap.DialURL(dc.LDAPSURL, goldap.DialWithTLSConfig(cfg))
	if err != nil {
		t.Fatalf("dial %s: %v", dc.LDAPSURL, err)
	}
	conn.SetTimeout(10 * time.Second)
	if err := conn.Bind(dn, password); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// search returns the DNs matching filter under BaseDN.
func search(t *testing.T, conn *goldap.Conn, filter string, attrs ...string) []*goldap.Entry {
	t.Helper()
	req := goldap.NewSearchRequest(adtest.BaseDN, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases,
		0, 10, false, filter, append([]string{"dn"}, attrs...), nil)
	res, err := conn.Search(req)
	if err != nil {
		t.Fatalf("search %s: %v", filter, err)
	}
	return res.Entries
}

// wantBindError checks that a bind as user fails with LDAP 49 and the AD
// sub-code "data <code>" in the diagnostic message.
func wantBindError(t *testing.T, dc *adtest.DC, user, password, code string) {
	t.Helper()
	conn, err := dialLDAPS(t, dc, user, password)
	if err == nil {
		conn.Close()
		t.Fatalf("bind as %s succeeded, want data %s", user, code)
	}
	var lerr *goldap.Error
	if !errors.As(err, &lerr) || lerr.ResultCode != goldap.LDAPResultInvalidCredentials {
		t.Fatalf("bind as %s: %v, want LDAP result 49", user, err)
	}
	if !strings.Contains(lerr.Err.Error(), "data "+code+",") {
		t.Fatalf("bind as %s: diagnostic %q lacks data %s", user, lerr.Err, code)
	}
}

func TestDC(t *testing.T) {
	dc := adtest.StartDC(t)
	dc.AddUser(t, "alice", "alice-password")
	dc.AddUser(t, "bob", "bob-password")
	dc.AddUser(t, "carol", "carol-password")
	dc.AddUser(t, "dave", "dave-password")
	dc.AddGroup(t, "G1")
	dc.AddGroup(t, "G2")
	dc.AddMember(t, "G1", "alice")
	dc.AddMember(t, "G2", "G1")

	svc, err := dialLDAPS(t, dc, dc.BindDN, dc.BindPassword)
	if err != nil {
		t.Fatalf("service bind: %v", err)
	}
	defer svc.Close()

	t.Run("search by name", func(t *testing.T) {
		for _, filter := range []string{
			"(&(objectCategory=person)(objectClass=user)(sAMAccountName=alice))",
			"(&(objectCategory=person)(objectClass=user)(userPrincipalName=alice@example.test))",
		} {
			got := search(t, svc, filter)
			if len(got) != 1 || got[0].DN != dc.UserDN("alice") {
				t.Errorf("%s: got %d entries, want %s", filter, len(got), dc.UserDN("alice"))
			}
		}
	})
	t.Run("nested groups", func(t *testing.T) {
		filter := "(&(objectClass=group)(member:1.2.840.113556.1.4.1941:=" + goldap.EscapeFilter(dc.UserDN("alice")) + "))"
		var names []string
		for _, e := range search(t, svc, filter, "cn") {
			names = append(names, e.GetAttributeValue("cn"))
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"G1", "G2"}) {
			t.Errorf("groups of alice = %v, want [G1 G2]", names)
		}
	})
	t.Run("good password by UPN and DN", func(t *testing.T) {
		for _, who := range []string{dc.UPN("alice"), dc.UserDN("alice"), adtest.Domain + `\alice`} {
			conn, err := dialLDAPS(t, dc, who, "alice-password")
			if err != nil {
				t.Fatalf("bind as %s: %v", who, err)
			}
			conn.Close()
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		wantBindError(t, dc, dc.UserDN("bob"), "not-bobs", "52e")
		if n := dc.BadPwdCount(t, "bob"); n != 1 {
			t.Errorf("badPwdCount = %d, want 1", n)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		dc.DisableUser(t, "carol")
		wantBindError(t, dc, dc.UserDN("carol"), "carol-password", "533")
		uac := search(t, svc, "(sAMAccountName=carol)", "userAccountControl")
		v, _ := strconv.Atoi(uac[0].GetAttributeValue("userAccountControl"))
		if v&0x2 == 0 {
			t.Errorf("userAccountControl = %#x, want bit 0x2", v)
		}
	})
	t.Run("password expired", func(t *testing.T) {
		dc.ExpirePassword(t, "dave")
		wantBindError(t, dc, dc.UserDN("dave"), "dave-password", "532")
	})
	t.Run("must change password", func(t *testing.T) {
		dc.MustChangePassword(t, "alice")
		wantBindError(t, dc, dc.UPN("alice"), "alice-password", "773")
	})
	t.Run("starttls", func(t *testing.T) { testStartTLS(t, dc) })
}

func testStartTLS(t *testing.T, dc *adtest.DC) {
	conn, err := goldap.DialURL(dc.LDAPURL)
	if err != nil {
		t.Fatalf("dial %s: %v", dc.LDAPURL, err)
	}
	defer conn.Close()
	conn.SetTimeout(10 * time.Second)
	if err := conn.Bind(dc.BindDN, dc.BindPassword); err == nil {
		t.Error("simple bind in clear text succeeded; AD should refuse it")
	}
	cfg, err := dc.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.StartTLS(cfg); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	if err := conn.Bind(dc.BindDN, dc.BindPassword); err != nil {
		t.Fatalf("bind after StartTLS: %v", err)
	}
	if got := search(t, conn, "(sAMAccountName=svc-radiusd)"); len(got) != 1 {
		t.Errorf("service account search: %d entries", len(got))
	}
}

// TestParallelDCs starts two DCs at once: they get different addresses,
// both answer, and no samba process survives their cleanup.
func TestParallelDCs(t *testing.T) {
	var mu sync.Mutex
	var pids []int
	addrs := map[string]bool{}
	t.Run("group", func(t *testing.T) {
		for i := range 2 {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				dc := adtest.StartDC(t)
				conn, err := dialLDAPS(t, dc, dc.BindDN, dc.BindPassword)
				if err != nil {
					t.Fatalf("service bind: %v", err)
				}
				conn.Close()
				if ip := net.ParseIP(dc.Addr); ip == nil || !ip.IsLoopback() {
					t.Errorf("address %q is not loopback", dc.Addr)
				}
				mu.Lock()
				defer mu.Unlock()
				pids = append(pids, dc.PID)
				addrs[dc.Addr] = true
			})
		}
	})
	if len(pids) == 2 && len(addrs) != 2 {
		t.Errorf("two DCs shared an address: %v", addrs)
	}
	for _, pid := range pids {
		if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("samba process group %d still exists after cleanup (kill: %v)", pid, err)
		}
	}
}
