package notify

import (
	"bytes"
	"errors"
)

// redactedError is an error whose text had secrets cut out. It matches
// what the original matched with errors.Is (context.DeadlineExceeded, the
// sentinels) but does not unwrap to it, so the original text is out of
// reach.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

// Is reports whether the original error matches target.
func (e *redactedError) Is(target error) bool { return errors.Is(e.err, target) }

// redact returns err unchanged unless its text contains one of secrets
// (empty ones are ignored); then it returns a redactedError whose text has
// each occurrence replaced by "[redacted]". A server that echoes a
// command, a header or the message cannot leak a secret into our errors.
func redact(err error, secrets ...[]byte) error {
	if err == nil {
		return nil
	}
	msg := []byte(err.Error())
	found := false
	for _, s := range secrets {
		if len(s) > 0 && bytes.Contains(msg, s) {
			msg = bytes.ReplaceAll(msg, s, []byte("[redacted]"))
			found = true
		}
	}
	if !found {
		return err
	}
	return &redactedError{msg: string(msg), err: err}
}

// secretParts returns v and, for a header value like "Bearer TOKEN", each
// of its blank-separated words of 6 bytes or more, so that an echo of the
// bare token is caught too.
func secretParts(v []byte) [][]byte {
	parts := [][]byte{v}
	for _, f := range bytes.Fields(v) {
		if len(f) >= 6 && len(f) < len(v) {
			parts = append(parts, f)
		}
	}
	return parts
}
