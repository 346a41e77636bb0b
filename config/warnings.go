package config

import (
	"fmt"
	"net/netip"
)

// minSecretLen is the shortest shared secret that draws no warning.
const minSecretLen = 16

// Warnings lists settings that are valid but weaken security, each starting
// with its YAML path, in the order of the file. It never prints a secret.
// Call it on a Config returned by Load or Parse.
func (c *Config) Warnings() []string {
	var w []string
	for i, cl := range c.Clients {
		path := fmt.Sprintf("clients[%d]", i)
		if !cl.SharedSecret.IsZero() && cl.SharedSecret.Len() < minSecretLen {
			key := "secret"
			if cl.SecretFile != "" {
				key = "secret_file"
			}
			w = append(w, fmt.Sprintf("%s.%s: shorter than %d characters; use a long random secret", path, key, minSecretLen))
		}
		if !cl.RequiresMessageAuthenticator() {
			w = append(w, path+": require_message_authenticator is false (BlastRADIUS, CVE-2024-3596)")
		}
		for j, p := range cl.Prefixes {
			if p.Bits() == 0 {
				w = append(w, fmt.Sprintf("%s.networks[%d]: %s accepts requests from every address", path, j, p))
			}
		}
	}
	if c.Policy.Enforce != "groups" && len(c.Policy.Groups) > 0 {
		w = append(w, fmt.Sprintf("policy.groups: ignored because enforce is %s", c.Policy.Enforce))
	}
	w = append(w, c.ldapWarnings()...)
	w = append(w, c.storeWarnings()...)
	w = append(w, c.methodWarnings()...)
	if ap, err := netip.ParseAddrPort(c.Metrics.Listen); err == nil && !ap.Addr().IsLoopback() {
		w = append(w, fmt.Sprintf("metrics.listen: %s is not a loopback address; whoever reaches it reads the metrics", c.Metrics.Listen))
	}
	if c.Portal.Enabled() && c.Policy.EnrollURL == "" {
		w = append(w, "policy.enroll_url: empty while the portal is on; users told to enroll are not sent to it")
	}
	if c.Lockout.MaxFailures == 0 {
		w = append(w, "lockout.max_failures: 0 disables locking; codes can be guessed without limit")
	}
	return w
}
