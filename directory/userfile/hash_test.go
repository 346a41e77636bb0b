package userfile

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestParseHash(t *testing.T) {
	b := bcryptHashOf(t, "pw")
	a := argon2idPHC("pw", 64, 1, 1)
	salt, key := "MDEyMzQ1Njc4OWFiY2RlZg", "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"
	phc := func(params string) string { return "$argon2id$v=19$" + params + "$" + salt + "$" + key }
	tests := []struct {
		name, hash string
		wantCost   string // "" means parseHash fails
	}{
		{name: "bcrypt $2a$", hash: b, wantCost: "bcrypt:4"},
		{name: "bcrypt $2b$", hash: "$2b$" + b[4:], wantCost: "bcrypt:4"},
		{name: "bcrypt $2y$", hash: "$2y$" + b[4:], wantCost: "bcrypt:4"},
		{name: "bcrypt cost 16", hash: "$2a$16$" + b[7:], wantCost: "bcrypt:16"},
		{name: "bcrypt $2x$", hash: "$2x$" + b[4:]},
		{name: "bcrypt $2$", hash: "$2$" + b[3:]},
		{name: "bcrypt cost 17", hash: "$2a$17$" + b[7:]},
		{name: "bcrypt cost 03", hash: "$2a$03$" + b[7:]},
		{name: "bcrypt short", hash: b[:59]},
		{name: "bcrypt long", hash: b + "A"},
		{name: "bcrypt bad alphabet", hash: b[:40] + "+" + b[41:]},
		{name: "argon2id", hash: a, wantCost: "argon2id:m=64,t=1,p=1,k=32"},
		{name: "argon2id padded base64", hash: phc("m=64,t=1,p=1") + "=", wantCost: "argon2id:m=64,t=1,p=1,k=28"},
		{name: "argon2id 1 GiB", hash: phc("m=1048576,t=10,p=16"), wantCost: "argon2id:m=1048576,t=10,p=16,k=28"},
		{name: "argon2id memory > 1 GiB", hash: phc("m=1048577,t=1,p=1")},
		{name: "argon2id memory < 8p", hash: phc("m=15,t=1,p=2")},
		{name: "argon2id t=11", hash: phc("m=64,t=11,p=1")},
		{name: "argon2id t=0", hash: phc("m=64,t=0,p=1")},
		{name: "argon2id p=17", hash: phc("m=1024,t=1,p=17")},
		{name: "argon2id p=0", hash: phc("m=64,t=1,p=0")},
		{name: "argon2id p=256 would wrap uint8", hash: phc("m=4096,t=1,p=256")},
		{name: "argon2id huge m", hash: phc("m=99999999999999999999999,t=1,p=1")},
		{name: "argon2id negative", hash: phc("m=-64,t=1,p=1")},
		{name: "argon2id leading zero", hash: phc("m=064,t=1,p=1")},
		{name: "argon2id plus sign", hash: phc("m=+64,t=1,p=1")},
		{name: "argon2id reordered", hash: phc("t=1,m=64,p=1")},
		{name: "argon2id keyid", hash: phc("m=64,t=1,p=1,keyid=x")},
		{name: "argon2id v=16", hash: strings.Replace(a, "v=19", "v=16", 1)},
		{name: "argon2id no version", hash: strings.Replace(a, "v=19$", "", 1)},
		{name: "argon2id short salt", hash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + key},
		{name: "argon2id short key", hash: "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$c2FsdA"},
		{name: "argon2id bad base64", hash: "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$!!!!"},
		{name: "argon2id extra field", hash: a + "$x"},
		{name: "argon2i", hash: strings.Replace(a, "argon2id", "argon2i", 1)},
		{name: "plain text", hash: "hunter2"},
		{name: "md5-crypt", hash: "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := parseHash(tt.hash)
			if tt.wantCost == "" {
				if err == nil {
					t.Fatalf("parseHash accepted it as %s", v.cost())
				}
				if strings.Contains(err.Error(), tt.hash) {
					t.Errorf("error %q echoes the hash", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := v.cost(); got != tt.wantCost {
				t.Errorf("cost = %q, want %q", got, tt.wantCost)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name, hash, password string
		want                 bool
	}{
		{name: "bcrypt right", hash: bcryptHashOf(t, "pw"), password: "pw", want: true},
		{name: "bcrypt wrong", hash: bcryptHashOf(t, "pw"), password: "pW"},
		{name: "bcrypt 72 bytes", hash: bcryptHashOf(t, strings.Repeat("x", 72)), password: strings.Repeat("x", 72), want: true},
		{name: "bcrypt 73 bytes refused, not truncated", hash: bcryptHashOf(t, strings.Repeat("x", 72)), password: strings.Repeat("x", 73)},
		{name: "argon2id right", hash: argon2idPHC("pw", 64, 1, 1), password: "pw", want: true},
		{name: "argon2id wrong", hash: argon2idPHC("pw", 64, 1, 1), password: "pw "},
		{name: "argon2id p=2", hash: argon2idPHC("pw", 64, 2, 2), password: "pw", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := parseHash(tt.hash)
			if err != nil {
				t.Fatal(err)
			}
			if got := v.verify([]byte(tt.password)); got != tt.want {
				t.Errorf("verify = %v, want %v", got, tt.want)
			}
			if v.dummy().verify([]byte(tt.password)) {
				t.Error("the dummy matched")
			}
			if v.dummy().cost() != v.cost() {
				t.Errorf("dummy cost %s differs from %s", v.dummy().cost(), v.cost())
			}
		})
	}
}

func TestHashPassword(t *testing.T) {
	tests := []struct {
		name     string
		password string
		cost     int
		wantCost int   // when no error
		wantErr  error // errors.Is target; errAny for any error
	}{
		{name: "min cost", password: "pw", cost: 4, wantCost: 4},
		{name: "72 bytes", password: strings.Repeat("p", 72), cost: 4, wantCost: 4},
		{name: "73 bytes", password: strings.Repeat("p", 73), cost: 4, wantErr: ErrPasswordTooLong},
		{name: "empty", password: "", cost: 4, wantErr: errAny},
		{name: "cost 3", password: "pw", cost: 3, wantErr: errAny},
		{name: "cost 17", password: "pw", cost: 17, wantErr: errAny},
		{name: "negative cost", password: "pw", cost: -1, wantErr: errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := HashPassword([]byte(tt.password), tt.cost)
			if tt.wantErr != nil {
				if err == nil || (tt.wantErr != errAny && !errors.Is(err, tt.wantErr)) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if tt.password != "" && strings.Contains(err.Error(), tt.password) {
					t.Errorf("error %q contains the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			v, err := parseHash(h) // the users file accepts what HashPassword makes
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := bcrypt.Cost([]byte(h)); n != tt.wantCost {
				t.Errorf("cost = %d, want %d", n, tt.wantCost)
			}
			if !v.verify([]byte(tt.password)) {
				t.Error("the hash does not verify its password")
			}
		})
	}
}

func TestHashCost(t *testing.T) {
	// HashPassword at cost 0 is too slow under -race to run here; the
	// mapping is checked instead, and BenchmarkAuthenticateBcrypt10 uses it.
	tests := []struct{ in, want int }{{0, DefaultCost}, {4, 4}, {16, 16}, {3, 0}, {17, 0}, {-1, 0}}
	for _, tt := range tests {
		got, err := hashCost(tt.in)
		if got != tt.want || (err != nil) != (tt.want == 0) {
			t.Errorf("hashCost(%d) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

var errAny = errors.New("any error")
