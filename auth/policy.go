package auth

import (
	"fmt"
	"slices"
	"time"
)

// Policy says who must use a second factor and what a user who must enroll
// is told (PRODUCT.md §3). SetPolicy replaces it while requests run.
type Policy struct {
	Enforce     Enforcement
	Groups      []string      // with EnforceGroups: members must use 2FA
	EnrollURL   string        // named in the Reply-Message of users who must enroll
	GracePeriod time.Duration // password-only logins for required, not enrolled users; 0 = none
}

// policyFrom takes the policy fields of opts.
func policyFrom(opts Options) Policy {
	return Policy{Enforce: opts.Enforce, Groups: opts.Groups, EnrollURL: opts.EnrollURL, GracePeriod: opts.GracePeriod}
}

// check validates p; "" enforcement means EnforceAll.
func (p Policy) check() (Policy, error) {
	if p.Enforce == "" {
		p.Enforce = EnforceAll
	}
	switch {
	case !slices.Contains([]Enforcement{EnforceAll, EnforceGroups, EnforceOptIn}, p.Enforce):
		return Policy{}, fmt.Errorf("auth: unknown enforcement %q", p.Enforce)
	case p.GracePeriod < 0:
		return Policy{}, fmt.Errorf("auth: negative grace period %v", p.GracePeriod)
	}
	p.Groups = slices.Clone(p.Groups)
	return p, nil
}

// SetPolicy replaces the policy for the requests that start after it
// returns (a request deciding meanwhile may see either). An invalid policy
// is refused and the old one kept.
func (a *Authenticator) SetPolicy(p Policy) error {
	p, err := p.check()
	if err != nil {
		return err
	}
	a.pol.Store(&p)
	return nil
}

// policy returns the current policy.
func (a *Authenticator) policy() *Policy { return a.pol.Load() }
