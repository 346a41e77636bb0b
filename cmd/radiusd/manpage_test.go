package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestManPageListsEveryCommand keeps packaging/radiusd.8 in step with the
// usage text: every command the usage lists has an entry in the man page.
func TestManPageListsEveryCommand(t *testing.T) {
	page, err := os.ReadFile("../../packaging/radiusd.8")
	if err != nil {
		t.Fatal(err)
	}
	// A roff command entry is ".B name" or ".BI "name " ARG…".
	entries := string(page)
	commandLine := regexp.MustCompile(`(?m)^  radiusd ((?:user |store )?[a-z-]+)`)
	commands := commandLine.FindAllStringSubmatch(usage, -1)
	if len(commands) < 10 {
		t.Fatalf("found only %d commands in the usage text", len(commands))
	}
	for _, m := range commands {
		name := m[1]
		if !strings.Contains(entries, ".B "+name+"\n") && !strings.Contains(entries, `.BI "`+name+` "`) {
			t.Errorf("packaging/radiusd.8 has no entry for %q", name)
		}
	}
}
