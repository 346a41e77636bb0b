package config

import (
	"bytes"
	"testing"
	"time"
)

func TestLDAPParsed(t *testing.T) {
	doc := `
clients: [{name: vpn, networks: [127.0.0.1], secret: SUPERSECRET-0123456789}, {name: asa, networks: [127.0.0.2], secret: SUPERSECRET-0123456789}]
directory:
  backend: ldap
  ldap:
    flavor: ad
    urls: ["ldaps://dc1.example.org", "ldaps://dc2.example.org:3269"]
    ca_file: ad-ca.pem
    bind_dn: "CN=radiusd,OU=Service,DC=example,DC=org"
    bind_password_file: secrets/ldap.secret
    base_dn: "DC=example,DC=org"
    groups: {search: ad_nested}
    mobile_attribute: telephoneNumber
    cache_ttl: 30s
`
	cfg, err := Parse([]byte(doc), "testdata")
	if err != nil {
		t.Fatal(err)
	}
	l := cfg.Directory.LDAP
	if !l.BindPassword.Value().Equal([]byte("service-password")) {
		t.Errorf("bind password not read from the file (length %d)", l.BindPassword.Len())
	}
	if l.CAFile != "testdata/ad-ca.pem" {
		t.Errorf("ca_file = %q, want it resolved against the config directory", l.CAFile)
	}
	if l.ConnectTimeout != DefaultLDAPConnectTimeout || l.PoolSize != DefaultLDAPPoolSize || l.CacheTTL != 30*time.Second {
		t.Errorf("defaults: %+v", l)
	}
	if l.MailAttribute != "" || l.MobileAttribute != "telephoneNumber" {
		t.Errorf("mail_attribute %q (want empty: the driver's default), mobile_attribute %q", l.MailAttribute, l.MobileAttribute)
	}
	if w := cfg.Warnings(); len(w) != 0 {
		t.Errorf("warnings for an ldaps-only setup: %q", w)
	}
}

func TestRepliesEncoded(t *testing.T) {
	doc := `
clients: [{name: vpn, networks: [127.0.0.1], secret: SUPERSECRET-0123456789}]
directory: {file: u.yaml}
replies:
  - group: vpn-admins
    attributes:
      - {name: Class, value: admins}
      - {name: session-timeout, value: "3600"}
      - {name: Fortinet-Group-Name, value: fw-admins}
      - {vendor: 3076, type: 25, value: AdminPolicy}
      - {type: 25, format: hex, value: "00ff"}
`
	cfg, err := Parse([]byte(doc), "testdata")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		vendor uint32
		typ    byte
		value  []byte
	}{
		{0, 25, []byte("admins")},
		{0, 27, []byte{0, 0, 0x0e, 0x10}},
		{12356, 1, []byte("fw-admins")},
		{3076, 25, []byte("AdminPolicy")},
		{0, 25, []byte{0, 0xff}},
	}
	got := cfg.Replies[0].Attributes
	for i, tt := range tests {
		if got[i].VendorID != tt.vendor || got[i].AttrType != tt.typ || !bytes.Equal(got[i].Encoded, tt.value) {
			t.Errorf("attributes[%d] = %d/%d/%x, want %d/%d/%x", i,
				got[i].VendorID, got[i].AttrType, got[i].Encoded, tt.vendor, tt.typ, tt.value)
		}
	}
}
