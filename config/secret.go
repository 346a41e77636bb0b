package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"gopkg.in/yaml.v3"

	"radiusd/secret"
)

// maxSecretFile bounds how much of a secret_file is read.
const maxSecretFile = 4096

const redacted = "[redacted]"

// Secret is a shared secret from the configuration. It decodes from any
// YAML scalar and prints as "[redacted]" with every fmt verb, in slog, JSON,
// text and YAML output.
type Secret struct{ v secret.Value }

// Value returns the secret. Callers must not log or retain its bytes.
func (s Secret) Value() secret.Value { return s.v }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v.IsZero() }

// Len returns the length of the secret in bytes.
func (s Secret) Len() int { return s.v.Len() }

// String prints "[redacted]".
func (Secret) String() string { return redacted }

// GoString prints "[redacted]".
func (Secret) GoString() string { return redacted }

// Format prints "[redacted]" whatever the verb, so that %d or %x on a
// struct holding a Secret cannot print its bytes.
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue logs "[redacted]".
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText prints "[redacted]" (and so does encoding/json).
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// MarshalYAML prints "[redacted]".
func (Secret) MarshalYAML() (any, error) { return redacted, nil }

// UnmarshalYAML takes the text of a scalar as written (quotes removed). A
// sequence or mapping is a type error naming the line, never the value.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{
			fmt.Sprintf("line %d: cannot unmarshal %s into config.Secret", n.Line, n.ShortTag()),
		}}
	}
	s.v = secret.New([]byte(n.Value))
	return nil
}

// readSecrets sets each client's SharedSecret from secret or secret_file and
// returns one error per unreadable or empty file.
func (c *Config) readSecrets() []error {
	var errs []error
	for i := range c.Clients {
		cl := &c.Clients[i]
		if cl.SecretFile == "" {
			cl.SharedSecret = cl.Secret
			continue
		}
		v, err := readSecretFile(cl.SecretFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("clients[%d].secret_file: %w", i, err))
			continue
		}
		cl.SharedSecret = Secret{v: v}
	}
	errs = append(errs, c.Messages.readSecrets()...)
	if st := &c.Store; st.Driver == "postgres" {
		st.ConnString = st.DSN
		if st.DSNFile != "" {
			v, err := readSecretFile(st.DSNFile)
			if err != nil {
				errs = append(errs, fmt.Errorf("store.dsn_file: %w", err))
			} else {
				st.ConnString = Secret{v: v}
			}
		}
	}
	if l := &c.Directory.LDAP; c.Directory.Backend == "ldap" && l.BindPasswordFile != "" {
		v, err := readSecretFile(l.BindPasswordFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("directory.ldap.bind_password_file: %w", err))
		} else {
			l.BindPassword = Secret{v: v}
		}
	}
	return errs
}

// errSecretFile is the base of the secret_file problems that are not I/O
// errors.
var errSecretFile = errors.New("secret file")

// readSecretFile returns the content of a regular file of at most
// maxSecretFile bytes, without its trailing newline. It refuses other files
// before opening them (a FIFO would block).
func readSecretFile(path string) (secret.Value, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return secret.Value{}, err
	}
	if !fi.Mode().IsRegular() {
		return secret.Value{}, fmt.Errorf("%w %q is not a regular file", errSecretFile, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return secret.Value{}, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return secret.Value{}, err
	}
	defer clear(b)
	switch t := bytes.TrimRight(b, "\r\n"); {
	case len(b) > maxSecretFile:
		return secret.Value{}, fmt.Errorf("%w %q is larger than %d bytes", errSecretFile, path, maxSecretFile)
	case len(t) == 0:
		return secret.Value{}, fmt.Errorf("%w %q is empty", errSecretFile, path)
	default:
		return secret.New(t), nil
	}
}

// readSecrets reads the SMTP password and the SMS provider's secret.
func (m *Messages) readSecrets() []error {
	var errs []error
	if e := &m.Email; e.Enabled() && e.PasswordFile != "" {
		v, err := readSecretFile(e.PasswordFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("messages.email.password_file: %w", err))
		}
		e.Password = Secret{v: v}
	}
	if s := &m.SMS; s.Enabled() && s.SecretFile != "" {
		v, err := readSecretFile(s.SecretFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("messages.sms.secret_file: %w", err))
		}
		s.Secret = Secret{v: v}
	}
	return errs
}
