package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// command is one command's flag set with the flags every command shares.
type command struct {
	fs     *flag.FlagSet
	config string
	json   bool
}

// newCommand returns a flag set for name; withJSON adds --json.
func newCommand(name, synopsis string, withJSON bool, s streams) *command {
	c := &command{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	c.fs.SetOutput(s.err)
	c.fs.StringVar(&c.config, "config", "radiusd.yaml", "configuration `file`")
	if withJSON {
		c.fs.BoolVar(&c.json, "json", false, "print JSON for scripts")
	}
	c.fs.Usage = func() {
		fmt.Fprintf(s.err, "Usage: radiusd %s\n\nFlags:\n", synopsis)
		c.fs.PrintDefaults()
	}
	return c
}

// parse parses flags before and after the positional arguments and checks
// their count; it returns the positional arguments, or the exit status to
// return (exitOK for --help, exitUsage for a mistake).
func (c *command) parse(args []string, want int, s streams) ([]string, int, bool) {
	var pos []string
	for {
		if err := c.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		if c.fs.NArg() == 0 {
			break
		}
		pos = append(pos, c.fs.Arg(0))
		args = c.fs.Args()[1:]
	}
	if len(pos) != want {
		fmt.Fprintf(s.err, "radiusd %s: want %d argument(s), got %d\n", c.fs.Name(), want, len(pos))
		c.fs.Usage()
		return nil, exitUsage, false
	}
	return pos, exitOK, true
}

// fail prints a runtime error and returns exitFailure.
func fail(w io.Writer, format string, args ...any) int {
	fmt.Fprintf(w, "radiusd: "+format+"\n", args...)
	return exitFailure
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return strconv.Quote(s)
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }
