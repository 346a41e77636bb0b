package otp_test

import (
	"errors"
	"testing"
	"time"

	"radiusd/otp"
	"radiusd/secret"
)

// RFC 6238 Appendix B seeds: the ASCII digits repeated to the hash size.
var (
	rfcSHA1   = secret.New([]byte("12345678901234567890"))
	rfcSHA256 = secret.New([]byte("12345678901234567890123456789012"))
	rfcSHA512 = secret.New([]byte("1234567890123456789012345678901234567890123456789012345678901234"))
)

func TestCodeRFC6238(t *testing.T) {
	tests := []struct {
		unix                 int64
		sha1, sha256, sha512 string
	}{
		{59, "94287082", "46119246", "90693936"},
		{1111111109, "07081804", "68084774", "25091201"},
		{1111111111, "14050471", "67062674", "99943326"},
		{1234567890, "89005924", "91819424", "93441116"},
		{2000000000, "69279037", "90698825", "38618901"},
		{20000000000, "65353130", "77737706", "47863826"},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			alg  string
			key  secret.Value
			want string
		}{{"SHA1", rfcSHA1, tt.sha1}, {"SHA256", rfcSHA256, tt.sha256}, {"SHA512", rfcSHA512, tt.sha512}} {
			t.Run(time.Unix(tt.unix, 0).UTC().Format(time.RFC3339)+"/"+c.alg, func(t *testing.T) {
				p := otp.Params{Digits: 8, Period: 30, Algorithm: c.alg}
				now := time.Unix(tt.unix, 0)
				got, err := otp.Code(c.key, p, otp.Step(now, p.Period))
				if err != nil || got != c.want {
					t.Fatalf("Code = %q, %v; want %q", got, err, c.want)
				}
				m, ok := otp.Verify(c.key, p, c.want, now, otp.Window{})
				if !ok || m.Offset != 0 || m.Step != otp.Step(now, 30) {
					t.Fatalf("Verify = %+v, %v; want offset 0", m, ok)
				}
			})
		}
	}
}

func TestCodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		s       secret.Value
		p       otp.Params
		step    int64
		wantErr error
	}{
		{"bad digits", rfcSHA1, otp.Params{Digits: 7, Period: 30, Algorithm: "SHA1"}, 1, otp.ErrInvalidParams},
		{"bad algorithm", rfcSHA1, otp.Params{Digits: 6, Period: 30, Algorithm: "MD5"}, 1, otp.ErrInvalidParams},
		{"empty secret", secret.Value{}, otp.DefaultParams, 1, otp.ErrInvalidSecret},
		{"negative step", rfcSHA1, otp.DefaultParams, -1, otp.ErrInvalidStep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := otp.Code(tt.s, tt.p, tt.step); !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestStep(t *testing.T) {
	tests := []struct {
		name   string
		unix   int64
		period int
		want   int64
	}{
		{"epoch", 0, 30, 0},
		{"last second of step 0", 29, 30, 0},
		{"first second of step 1", 30, 30, 1},
		{"60s period", 119, 60, 1},
		{"before 1970 floors", -1, 30, -1},
		{"zero period", 100, 0, -1},
		{"negative period", 100, -30, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := otp.Step(time.Unix(tt.unix, 0), tt.period); got != tt.want {
				t.Fatalf("Step = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestVerifyWindow(t *testing.T) {
	p := otp.DefaultParams
	now := time.Unix(1_700_000_015, 0) // middle of a step
	cur := otp.Step(now, p.Period)
	codeAt := func(off int64) string {
		t.Helper()
		c, err := otp.Code(rfcSHA1, p, cur+off)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name                  string
		codeOffset            int64
		skew, drift, maxDrift int
		wantOK                bool
	}{
		{"current", 0, 1, 0, 0, true},
		{"skew edge -1", -1, 1, 0, 0, true},
		{"skew edge +1", 1, 1, 0, 0, true},
		{"outside skew -2", -2, 1, 0, 0, false},
		{"outside skew +2", 2, 1, 0, 0, false},
		{"skew 0 rejects +1", 1, 0, 0, 0, false},
		{"negative skew acts as 0", 0, -3, 0, 0, true},
		{"drift centre", 5, 1, 5, 10, true},
		{"drift edge +6", 6, 1, 5, 10, true},
		{"drift edge +4", 4, 1, 5, 10, true},
		{"beyond drift +7", 7, 1, 5, 10, false},
		{"gap between windows", 3, 1, 5, 10, false},
		{"current still valid with drift", 0, 1, 5, 10, true},
		{"negative drift", -4, 1, -4, 10, true},
		{"drift clamped to maxDrift", 5, 0, 5, 2, false},
		{"clamped drift centre", 2, 0, 5, 2, true},
		{"maxDrift 0 ignores drift", 5, 1, 5, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := otp.Verify(rfcSHA1, p, codeAt(tt.codeOffset), now, otp.Window{Skew: tt.skew, Drift: tt.drift, MaxDrift: tt.maxDrift})
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if ok && (m.Offset != int(tt.codeOffset) || m.Step != cur+tt.codeOffset) {
				t.Fatalf("match = %+v, want offset %d", m, tt.codeOffset)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	p := otp.DefaultParams
	now := time.Unix(1_700_000_000, 0)
	good, err := otp.Code(rfcSHA1, p, otp.Step(now, p.Period))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		s    secret.Value
		p    otp.Params
		code string
	}{
		{"empty", rfcSHA1, p, ""},
		{"too short", rfcSHA1, p, good[:5]},
		{"too long", rfcSHA1, p, good + "0"},
		{"8 digits for a 6-digit token", rfcSHA1, p, "00" + good},
		{"leading space", rfcSHA1, p, " " + good[1:]},
		{"non-digit", rfcSHA1, p, good[:5] + "a"},
		{"non-ASCII digit", rfcSHA1, p, good[:4] + "٣"},
		{"NUL", rfcSHA1, p, good[:5] + "\x00"},
		{"empty secret", secret.Value{}, p, good},
		{"invalid params", rfcSHA1, otp.Params{Digits: 6, Period: 45, Algorithm: "SHA1"}, good},
		{"other secret", rfcSHA256, p, good},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if m, ok := otp.Verify(tt.s, tt.p, tt.code, now, otp.Window{Skew: 1}); ok {
				t.Fatalf("Verify accepted: %+v", m)
			}
		})
	}
}

func TestVerifyPeriod60(t *testing.T) {
	p := otp.Params{Digits: 6, Period: 60, Algorithm: "SHA256"}
	issued := time.Unix(1_700_000_040, 0) // step 28333334 of 60 s
	code, err := otp.Code(rfcSHA256, p, otp.Step(issued, 60))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		later      time.Duration
		wantOK     bool
		wantOffset int
	}{
		{"same step", 19 * time.Second, true, 0},
		{"next step", 80 * time.Second, true, -1},
		{"two steps later", 140 * time.Second, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := otp.Verify(rfcSHA256, p, code, issued.Add(tt.later), otp.Window{Skew: 1})
			if ok != tt.wantOK || (ok && m.Offset != tt.wantOffset) {
				t.Fatalf("Verify = %+v, %v; want offset %d, %v", m, ok, tt.wantOffset, tt.wantOK)
			}
		})
	}
}

func TestVerifyBefore1970(t *testing.T) {
	// Step 0 is valid; its window reaches step -1, which must be skipped.
	p := otp.DefaultParams
	code, err := otp.Code(rfcSHA1, p, 0)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := otp.Verify(rfcSHA1, p, code, time.Unix(10, 0), otp.Window{Skew: 1, After: -1}); !ok || m.Step != 0 {
		t.Fatalf("Verify = %+v, %v", m, ok)
	}
	if _, ok := otp.Verify(rfcSHA1, p, code, time.Unix(-100, 0), otp.Window{Skew: 1, After: -1}); ok {
		t.Fatal("Verify accepted a code far before 1970")
	}
}

func BenchmarkVerify(b *testing.B) {
	p := otp.DefaultParams
	now := time.Unix(1_700_000_000, 0)
	code, err := otp.Code(rfcSHA1, p, otp.Step(now, p.Period)+1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := otp.Verify(rfcSHA1, p, code, now, otp.Window{Skew: 1}); !ok {
			b.Fatal("not ok")
		}
	}
}

// TestVerifyAfter: steps at or before Window.After (the last accepted
// step) never match, so a code equal to a used step's code still matches
// its own later step instead of being refused as a replay.
func TestVerifyAfter(t *testing.T) {
	p := otp.Params{Digits: 6, Period: 30, Algorithm: "SHA1"}
	now := time.Unix(1_700_000_000, 0)
	cur := otp.Step(now, 30)
	for _, tt := range []struct {
		name   string
		offset int64
		after  int64
		ok     bool
	}{
		{"current step, nothing used", 0, cur - 5, true},
		{"current step already used", 0, cur, false},
		{"next step after current used", 1, cur, true},
		{"previous step after current used", -1, cur, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, err := otp.Code(rfcSHA1, p, cur+tt.offset)
			if err != nil {
				t.Fatal(err)
			}
			m, ok := otp.Verify(rfcSHA1, p, code, now, otp.Window{Skew: 1, After: tt.after})
			if ok != tt.ok || ok && m.Step != cur+tt.offset {
				t.Fatalf("Verify = %+v, %v; want step %d, %v", m, ok, cur+tt.offset, tt.ok)
			}
		})
	}
}
