package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
)

// buildVersion is set at link time (-ldflags "-X main.buildVersion=…");
// otherwise the module version or VCS revision is used.
var buildVersion = ""

func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}

func cmdVersion(args []string, s streams) int {
	c := newCommand("version", "version [--json]", true, s)
	if _, code, ok := c.parse(args, 0, s); !ok {
		return code
	}
	if c.json {
		return printJSON(s, map[string]string{"version": version(), "go": runtime.Version()})
	}
	fmt.Fprintf(s.out, "radiusd %s (%s)\n", version(), runtime.Version())
	return exitOK
}

// printJSON writes v as indented JSON.
func printJSON(s streams, v any) int {
	enc := json.NewEncoder(s.out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // keep the & of otpauth:// URIs readable
	if err := enc.Encode(v); err != nil {
		return fail(s.err, "write JSON: %v", err)
	}
	return exitOK
}
