package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"radiusd/otp"
	"radiusd/secret"
	"radiusd/store"
)

type importOpts struct {
	force      bool
	skipErrors bool
}

func importFlags(c *command) any {
	o := &importOpts{}
	c.fs.BoolVar(&o.force, "force", false, "replace secrets of users who are already enrolled")
	c.fs.BoolVar(&o.skipErrors, "skip-errors", false, "import the good rows of a file that has bad ones")
	return o
}

// importRow is one user of an import file. JSON lines use the field names
// of "user enroll --json"; state and uri are accepted and ignored.
type importRow struct {
	line   int
	name   string
	secret secret.Value
	params otp.Params
}

// importJSON is a JSON line of an import file.
type importJSON struct {
	User      string `json:"user"`
	Secret    string `json:"secret"`
	Digits    int    `json:"digits"`
	Period    int    `json:"period"`
	Algorithm string `json:"algorithm"`
	State     string `json:"state"`
	URI       string `json:"uri"`
}

// importReport is the --json output of "user import".
type importReport struct {
	Imported int           `json:"imported"`
	Skipped  int           `json:"skipped"`
	Errors   []importError `json:"errors"`
}

type importError struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

func userImport(ctx context.Context, ss *session, c *command, args []string, flags any, s streams) int {
	o := flags.(*importOpts)
	data, err := readImportFile(args[0], s.in)
	if err != nil {
		return fail(s.err, "%v", err)
	}
	rows, rep := ss.parseImport(ctx, data, o.force)
	if len(rep.Errors) > 0 && !o.skipErrors {
		rep.Skipped = len(rows) + len(rep.Errors)
		printImport(c, s, rep, "nothing imported: fix the rows above or pass --skip-errors")
		return exitFailure
	}
	for _, r := range rows {
		if err := ss.accounts.Import(ctx, r.name, r.secret, r.params, o.force); err != nil {
			rep.Errors = append(rep.Errors, importError{Line: r.line, Error: err.Error()})
			continue
		}
		rep.Imported++
	}
	rep.Skipped = len(rep.Errors)
	audited := exitOK
	if rep.Imported > 0 {
		audited = ss.audit(ctx, c, s, "import", "*", importDetail(rep, o.force))
	}
	printImport(c, s, rep, "")
	if rep.Imported == 0 && len(rep.Errors) > 0 {
		return exitFailure
	}
	return audited
}

// importDetail is the audit detail of an import run: its counts.
func importDetail(rep importReport, force bool) string {
	d := fmt.Sprintf("imported %d, skipped %d", rep.Imported, rep.Skipped)
	if force {
		d += ", force"
	}
	return d
}

func readImportFile(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(io.LimitReader(stdin, 64<<20))
	}
	return os.ReadFile(path)
}

func printImport(c *command, s streams, rep importReport, note string) {
	if c.json {
		if rep.Errors == nil {
			rep.Errors = []importError{}
		}
		printJSON(s, rep)
		return
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(s.err, "line %d: %s\n", e.Line, e.Error)
	}
	if note != "" {
		fmt.Fprintln(s.err, note)
	}
	fmt.Fprintf(s.out, "imported %d, skipped %d\n", rep.Imported, rep.Skipped)
}

// importEntry is one row of an import file, not yet validated.
type importEntry struct {
	line int
	row  importJSON
	err  error
}

// parseImport reads every row, reporting each bad one by line number:
// unreadable fields, bad secrets or parameters, duplicates, and users who
// are already enrolled (unless force).
func (ss *session) parseImport(ctx context.Context, data []byte, force bool) ([]importRow, importReport) {
	var rows []importRow
	var rep importReport
	seen := map[string]int{}
	entries := splitCSV(data)
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		entries = splitJSON(data)
	}
	for _, e := range entries {
		r, err := e.row, e.err
		var row importRow
		if err == nil {
			row, err = ss.toImportRow(r)
		}
		if err == nil {
			err = ss.checkImportable(ctx, row.name, seen, force)
		}
		if err != nil {
			rep.Errors = append(rep.Errors, importError{Line: e.line, Error: err.Error()})
			continue
		}
		row.line, seen[row.name] = e.line, e.line
		rows = append(rows, row)
	}
	return rows, rep
}

// splitCSV reads "user,secret[,digits,period,algorithm]" lines, or JSON
// objects of one line each; blank lines, # comments and a header line are
// skipped.
func splitCSV(data []byte) []importEntry {
	var out []importEntry
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || n == 0 && strings.HasPrefix(strings.ToLower(line), "user,") {
			continue
		}
		e := importEntry{line: n + 1}
		if strings.HasPrefix(line, "{") {
			e.err = parseJSONLine(line, &e.row)
		} else {
			e.err = parseImportCSV(line, &e.row)
		}
		out = append(out, e)
	}
	return out
}

// errBadJSON describes an unreadable JSON row.
var errBadJSON = errors.New("not a valid JSON object with user, secret, digits, period, algorithm")

// parseJSONLine reads one JSON object that fills a line.
func parseJSONLine(line string, j *importJSON) error {
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(j); err != nil || dec.More() {
		return errBadJSON
	}
	return nil
}

// splitJSON reads a stream of JSON objects with the field names of "user
// enroll --json": one per line, or indented as that command prints them.
func splitJSON(data []byte) []importEntry {
	var out []importEntry
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	for {
		start := int(dec.InputOffset()) // where the next object starts, after blanks
		for start < len(data) && strings.ContainsRune(" \t\r\n", rune(data[start])) {
			start++
		}
		e := importEntry{line: 1 + bytes.Count(data[:start], []byte("\n"))}
		if err := dec.Decode(&e.row); err == io.EOF {
			return out
		} else if err != nil {
			e.err = errBadJSON
			return append(out, e) // the rest of the stream cannot be trusted
		}
		out = append(out, e)
	}
}
func (ss *session) checkImportable(ctx context.Context, name string, seen map[string]int, force bool) error {
	if first, dup := seen[name]; dup {
		return fmt.Errorf("user %s already appears on line %d", quote(name), first)
	}
	if force {
		return nil
	}
	u, err := ss.backend.store.Get(ctx, name)
	if err == nil && u.State == store.StateActive {
		return fmt.Errorf("user %s is already enrolled (use --force to replace)", quote(name))
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// toImportRow validates one row; errors never hold the secret.
func (ss *session) toImportRow(j importJSON) (importRow, error) {
	name, err := ss.accounts.Name(j.User)
	if err != nil {
		return importRow{}, fmt.Errorf("user %s is not a valid user name", quote(j.User))
	}
	sec, err := otp.ParseSecret(j.Secret)
	if err != nil {
		return importRow{}, errors.New("secret is not a valid base32 TOTP key of 10 to 128 bytes")
	}
	p := otp.Params{Digits: j.Digits, Period: j.Period, Algorithm: strings.ToUpper(strings.ReplaceAll(j.Algorithm, "-", ""))}
	p = withDefaults(p)
	if err := p.Validate(); err != nil {
		return importRow{}, fmt.Errorf("user %s: digits %d, period %d, algorithm %s: want digits 6 or 8, period 30 or 60, algorithm SHA1, SHA256 or SHA512",
			quote(name), p.Digits, p.Period, quote(p.Algorithm))
	}
	return importRow{name: name, secret: sec, params: p}, nil
}

// parseImportCSV reads "user,secret[,digits,period,algorithm]".
func parseImportCSV(line string, j *importJSON) error {
	r := csv.NewReader(strings.NewReader(line))
	r.TrimLeadingSpace = true
	f, err := r.Read()
	if err != nil || len(f) != 2 && len(f) != 5 {
		return errors.New("want CSV fields user,secret[,digits,period,algorithm]")
	}
	j.User, j.Secret = f[0], f[1]
	if len(f) == 5 {
		if j.Digits, err = strconv.Atoi(f[2]); err != nil {
			return fmt.Errorf("digits %s is not a number", quote(f[2]))
		}
		if j.Period, err = strconv.Atoi(f[3]); err != nil {
			return fmt.Errorf("period %s is not a number", quote(f[3]))
		}
		j.Algorithm = f[4]
	}
	return nil
}

// withDefaults fills the parameters every authenticator app assumes.
func withDefaults(p otp.Params) otp.Params {
	if p.Digits == 0 {
		p.Digits = otp.DefaultParams.Digits
	}
	if p.Period == 0 {
		p.Period = otp.DefaultParams.Period
	}
	if p.Algorithm == "" {
		p.Algorithm = otp.DefaultParams.Algorithm
	}
	return p
}
