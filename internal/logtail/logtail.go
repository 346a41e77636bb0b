// Package logtail reads the end of a log file for the error messages of
// the test harnesses that start servers (slapd, aiosmtpd). It imports only
// the standard library.
package logtail

import (
	"bytes"
	"os"
)

// Since returns the last n lines written to the file at path after offset
// bytes, or a note saying why there are none.
func Since(path string, offset int64, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if offset <= int64(len(data)) {
		data = data[offset:]
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	lines = lines[max(0, len(lines)-n):]
	return string(bytes.Join(lines, []byte("\n")))
}
