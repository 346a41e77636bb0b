package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"radiusd/directory/userfile"
)

func cmdHashPassword(args []string, s streams) int {
	c := newCommand("hash-password", "hash-password [--cost N] [--json] < password", true, s)
	cost := c.fs.Int("cost", 10, "bcrypt `cost` (4 to 31; each step doubles the work)")
	if _, code, ok := c.parse(args, 0, s); !ok {
		return code
	}
	pw, err := readPassword(s)
	if err != nil {
		return fail(s.err, "%v", err)
	}
	hash, err := userfile.HashPassword(pw, *cost)
	clear(pw)
	if err != nil {
		return fail(s.err, "%v", err)
	}
	if c.json {
		return printJSON(s, map[string]string{"password_hash": hash})
	}
	fmt.Fprintln(s.out, hash)
	return exitOK
}

// readPassword reads one password: from a terminal without echo (asked
// twice), otherwise the first line of standard input.
func readPassword(s streams) ([]byte, error) {
	if f, ok := s.in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(s.err, "Password: ")
		pw, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(s.err)
		if err != nil {
			return nil, err
		}
		fmt.Fprint(s.err, "Again: ")
		again, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(s.err)
		if err != nil {
			return nil, err
		}
		if string(pw) != string(again) {
			return nil, errors.New("the passwords differ")
		}
		return pw, nil
	}
	line, err := bufio.NewReader(s.in).ReadString('\n')
	if err != nil && line == "" {
		return nil, errors.New("no password on standard input")
	}
	pw := []byte(strings.TrimRight(line, "\r\n"))
	if len(pw) == 0 {
		return nil, errors.New("empty password")
	}
	return pw, nil
}
