package radiussrv

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestDependencies keeps the package boundary of the package doc: no SQL,
// no LDAP, no concrete store or directory, no layeh debug printer, and
// direct imports only of auth and secret among radiusd packages.
func TestDependencies(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not in PATH")
	}
	out, err := exec.CommandContext(t.Context(), goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"database/sql", "github.com/go-ldap/", "radiusd/store/", "radiusd/directory/", "layeh.com/radius/debug"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("radiussrv depends on %s", dep)
			}
		}
	}
	out, err = exec.CommandContext(t.Context(), goTool, "list", "-f", "{{join .Imports \"\\n\"}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -f: %v", err)
	}
	for _, imp := range strings.Fields(string(out)) {
		if strings.HasPrefix(imp, "radiusd/") && !slices.Contains([]string{"radiusd/auth", "radiusd/secret"}, imp) {
			t.Errorf("radiussrv imports %s directly", imp)
		}
	}
}
