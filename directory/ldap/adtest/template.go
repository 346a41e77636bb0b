package adtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// layout names the template's shape; bump it when buildTemplate changes so
// old caches are not reused.
const layout = "v1"

// tools are the Samba programs a DC needs.
type tools struct {
	samba, sambaTool, python, version string
}

// findTools locates samba, samba-tool and the Python that runs samba-tool,
// skipping t when they are missing.
func findTools(t testing.TB) tools {
	t.Helper()
	checkPlatform(t)
	var tl tools
	for _, p := range []struct {
		name string
		dst  *string
	}{{"samba", &tl.samba}, {"samba-tool", &tl.sambaTool}} {
		path, err := lookPath(p.name)
		if err != nil {
			skip(t, "adtest: %s not found: %s", p.name, installHint)
		}
		*p.dst = path
	}
	var err error
	if tl.python, err = interpreter(tl.sambaTool); err != nil {
		skip(t, "adtest: %v: %s", err, installHint)
	}
	if tl.version, err = sambaVersion(tl.samba); err != nil {
		skip(t, "adtest: %v: %s", err, installHint)
	}
	return tl
}

// lookPath finds name in PATH or in the sbin folders root's PATH may lack.
func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/usr/bin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("adtest: %s not found", name)
}

// interpreter reads the "#!" line of samba-tool: that Python has the ldb
// module ExpirePassword needs.
func interpreter(script string) (string, error) {
	f, err := os.Open(script)
	if err != nil {
		return "", fmt.Errorf("adtest: open samba-tool: %w", err)
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "#!") {
		return "", fmt.Errorf("adtest: %s has no #! line", script)
	}
	fields := strings.Fields(strings.TrimPrefix(line, "#!"))
	if len(fields) == 0 {
		return "", fmt.Errorf("adtest: %s has an empty #! line", script)
	}
	if filepath.Base(fields[0]) == "env" && len(fields) > 1 {
		return exec.LookPath(fields[len(fields)-1])
	}
	return fields[0], nil
}

// sambaVersion returns e.g. "4.17.12-Debian", safe for a file name.
func sambaVersion(samba string) (string, error) {
	out, err := exec.Command(samba, "-V").Output()
	if err != nil {
		return "", fmt.Errorf("adtest: samba -V: %w", err)
	}
	v := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "Version"))
	v = strings.Map(func(r rune) rune {
		if r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, v)
	if v == "" {
		return "", errors.New("adtest: samba -V printed no version")
	}
	return v, nil
}

// cacheRoot is os.UserCacheDir()/radiusd-test, or the temporary folder
// when there is no user cache folder.
func cacheRoot() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	root := filepath.Join(base, "radiusd-test")
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", fmt.Errorf("adtest: cache folder: %w", err)
	}
	return root, nil
}

var templates struct {
	sync.Mutex
	dir map[string]string // version → ready template folder
}

// ensureTemplate returns the provisioned template folder for tl.version,
// provisioning it first (built = true) if no process has done so yet.
func ensureTemplate(tl tools) (dir string, built bool, err error) {
	templates.Lock()
	defer templates.Unlock()
	if dir, ok := templates.dir[tl.version]; ok {
		return dir, false, nil
	}
	root, err := cacheRoot()
	if err != nil {
		return "", false, err
	}
	dir = filepath.Join(root, "samba-"+tl.version+"-"+layout)
	unlock, err := lockFile(dir+".lock", true)
	if err != nil {
		return "", false, fmt.Errorf("adtest: lock template: %w", err)
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(dir, "private", "sam.ldb")); err != nil {
		if err := buildTemplate(tl, dir); err != nil {
			return "", false, err
		}
		built = true
	}
	if templates.dir == nil {
		templates.dir = map[string]string{}
	}
	templates.dir[tl.version] = dir
	return dir, built, nil
}

// buildTemplate provisions the domain into dir+".tmp", configures its
// password policy, service account and expiry PSO, then renames it to dir.
func buildTemplate(tl tools, dir string) error {
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("adtest: clean %s: %w", tmp, err)
	}
	db := []string{"-H", filepath.Join(tmp, "private", "sam.ldb"), "-s", filepath.Join(tmp, "etc", "smb.conf")}
	steps := [][]string{
		{"domain", "provision", "--use-rfc2307", "--server-role=dc", "--realm=" + Realm, "--domain=" + Domain,
			"--host-name=dc1", "--host-ip=127.0.0.1", "--dns-backend=NONE", "--adminpass=" + adminPassword,
			"--option=interfaces=127.0.0.1/8", "--option=bind interfaces only=yes", "--targetdir=" + tmp},
		append([]string{"domain", "passwordsettings", "set", "--complexity=off", "--history-length=0",
			"--min-pwd-age=0", "--max-pwd-age=0", "--min-pwd-length=0", "--account-lockout-threshold=65535"}, db...),
		append([]string{"domain", "passwordsettings", "pso", "create", expirePSO, "1", "--max-pwd-age=2"}, db...),
		append([]string{"user", "create", serviceName, servicePassword, "--description=radiusd search account"}, db...),
	}
	for _, args := range steps {
		if err := runTool(tl.sambaTool, args); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("adtest: install template: %w", err)
	}
	return nil
}

// runTool runs samba-tool with a time limit; its error shows the output
// tail (passwords are test constants, but are masked anyway).
func runTool(tool string, args []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, tool, args...).CombinedOutput()
	if err == nil {
		return nil
	}
	name := strings.Join(args[:min(3, len(args))], " ")
	return fmt.Errorf("adtest: samba-tool %s: %w\n%s", name, err, tail(bytes.NewReader(out), 20))
}

// tail returns the last n lines read from r.
func tail(r io.Reader, n int) string {
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// copyTree copies the regular files and folders of src into dst, keeping
// their permissions; dst's etc/smb.conf is skipped (StartDC writes its own).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm())
		case rel == filepath.Join("etc", "smb.conf") || !info.Mode().IsRegular():
			return nil
		}
		return copyFile(path, target, info.Mode().Perm())
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
