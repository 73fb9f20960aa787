package demo

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// privateCluster is a throwaway PostgreSQL cluster for the demo, made
// with the installed initdb and pg_ctl in a temporary directory (mode
// 0700), removed by stop. It takes no network connection at all
// (listen_addresses is empty): its only way in is a Unix socket in that
// directory, so trusting local connections lets in this user (and root)
// and nobody else. Its processes get a minimal environment, not the
// demo's (which may hold KEAP_API_KEY or DATABASE_URL): the environment of
// a postgres process is readable by its user. When keapsync runs as root
// (initdb refuses root), the cluster runs as the "postgres" user the
// PostgreSQL packages create.
type privateCluster struct {
	dir  string
	bin  string
	cred *syscall.Credential // nil: run as this user
	URL  string
}

// privateClusterPort names the socket file (.s.PGSQL.5432) in the
// cluster's own directory; no TCP port is opened.
const privateClusterPort = 5432

// errNoPostgresBinaries is returned when initdb and pg_ctl are nowhere.
var errNoPostgresBinaries = errors.New("no PostgreSQL server binaries (initdb, pg_ctl) found: run bash .ci/postgres, or set DATABASE_URL")

// findPostgresBin returns the directory of initdb and pg_ctl: on PATH, or
// the newest /usr/lib/postgresql/<version>/bin (Debian, Ubuntu).
func findPostgresBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) < versionOf(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if isExecutable(filepath.Join(dirs[i], "initdb")) && isExecutable(filepath.Join(dirs[i], "pg_ctl")) {
			return dirs[i], nil
		}
	}
	return "", errNoPostgresBinaries
}

func versionOf(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir() && info.Mode()&0o111 != 0
}

// startPrivateCluster initializes and starts a cluster; stop removes it.
func startPrivateCluster(ctx context.Context) (*privateCluster, error) {
	bin, err := findPostgresBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "keapsync-demo-pg-")
	if err != nil {
		return nil, fmt.Errorf("private cluster: %w", err)
	}
	c := &privateCluster{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, errors.New("private cluster: initdb refuses to run as root and there is no postgres user: run the demo as another user, or set DATABASE_URL")
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, int(uid), int(gid)); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("private cluster: %w", err)
		}
	}
	data := filepath.Join(dir, "data")
	if err := c.pg(ctx, "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync"); err != nil {
		c.stop()
		return nil, err
	}
	opts := fmt.Sprintf("-c listen_addresses='' -p %d -k %s -c unix_socket_permissions=0700 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
		privateClusterPort, dir)
	if err := c.pg(ctx, "pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		c.stop()
		return nil, err
	}
	c.URL = (&url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/postgres",
		RawQuery: url.Values{"host": {dir}, "port": {strconv.Itoa(privateClusterPort)}, "sslmode": {"disable"}}.Encode()}).String()
	return c, nil
}

// pg runs one of the cluster's binaries as the cluster's user.
func (c *privateCluster) pg(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = []string{"LC_ALL=C", "HOME=" + c.dir, "PATH=/usr/local/bin:/usr/bin:/bin"}
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("private cluster: %s: %w: %s", name, err, lastLines(string(out), 5))
	}
	return nil
}

// stop stops the cluster and removes its directory.
func (c *privateCluster) stop() {
	data := filepath.Join(c.dir, "data")
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = c.pg(ctx, "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
		cancel()
	}
	_ = os.RemoveAll(c.dir)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
