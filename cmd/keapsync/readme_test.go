package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keapsync/keapsync/jobs"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite the README's generated warehouse reference from the migrations")

const repoRoot = "../.."

// The two commands the README opens with, as issue 8 wrote them.
var twoCommands = []string{
	"bash .ci/postgres && go run ./cmd/keapsync demo     # the main job, on the embedded default",
	"bash .ci/postgres && go test -race ./...             # every test (.ci/run runs exactly this, plus vet)",
}

func readRepoFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// firstFencedBlock returns the lines of the README's first code block.
func firstFencedBlock(t *testing.T, readme string) []string {
	t.Helper()
	var (
		lines  []string
		inside bool
	)
	sc := bufio.NewScanner(strings.NewReader(readme))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```") && !inside:
			inside = true
		case strings.HasPrefix(line, "```") && inside:
			return lines
		case inside:
			lines = append(lines, line)
		}
	}
	t.Fatal("the README has no code block")
	return nil
}

// raceEnabled is set when the tests run with -race (race_test.go).
var raceEnabled bool

// A built keapsync binary, one per flavour: as this test binary (with
// -race when it is) and as users build it.
type builtBinary struct {
	once sync.Once
	path string
	err  error
}

var (
	builds   [2]builtBinary // [0] as this test binary, [1] release
	buildDir string
	dirErr   error
	dirOnce  sync.Once
)

// keapsyncBinary builds the command once for the tests that run it as a
// process, as a user would.
func keapsyncBinary(t *testing.T) string { return buildBinary(t, raceEnabled) }

// releaseBinary is the command built without -race, as users build it,
// for tests that measure it (the race detector multiplies its memory).
func releaseBinary(t *testing.T) string { return buildBinary(t, false) }

func buildBinary(t *testing.T, race bool) string {
	t.Helper()
	b := &builds[1]
	if race == raceEnabled {
		b = &builds[0]
	}
	b.once.Do(func() {
		dirOnce.Do(func() { buildDir, dirErr = os.MkdirTemp("", "keapsync-test-bin-") })
		if b.err = dirErr; b.err != nil {
			return
		}
		flavour, args := "release", []string{"build"}
		if race {
			flavour, args = "race", append(args, "-race") // reuse the packages this test binary was built from
		}
		b.path = filepath.Join(buildDir, flavour, "keapsync")
		if b.err = os.MkdirAll(filepath.Dir(b.path), 0o755); b.err != nil {
			return
		}
		out, err := exec.Command("go", append(args, "-o", b.path, ".")...).CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func TestREADME_OpensWithTheTwoCommandsAndTheyWork(t *testing.T) {
	t.Parallel()
	block := firstFencedBlock(t, readRepoFile(t, "README.md"))
	if strings.Join(block, "\n") != strings.Join(twoCommands, "\n") {
		t.Fatalf("the README's first code block:\n%s\nwant:\n%s", strings.Join(block, "\n"), strings.Join(twoCommands, "\n"))
	}

	// bash .ci/postgres: the script is there and is valid bash. (It ran
	// before this test: the database the tests use answers.)
	if out, err := exec.Command("bash", "-n", filepath.Join(repoRoot, ".ci", "postgres")).CombinedOutput(); err != nil {
		t.Errorf(".ci/postgres: %v\n%s", err, out)
	}

	// go test -race ./...: exactly what CI runs.
	ciRun := readRepoFile(t, ".ci/run")
	if !regexp.MustCompile(`(?m)^go test -race \./\.\.\.$`).MatchString(ciRun) || !strings.Contains(ciRun, "bash .ci/postgres") ||
		!strings.Contains(ciRun, "go vet ./...") {
		t.Errorf(".ci/run does not run the README's commands plus vet:\n%s", ciRun)
	}

	// go run ./cmd/keapsync demo: the same binary, the demo shrunk by its
	// hidden flags to fit the test budget, in a database of the test's own.
	bin := keapsyncBinary(t)
	if out, err := exec.Command(bin, "--help").CombinedOutput(); err != nil || !strings.Contains(string(out), "demo") {
		t.Errorf("keapsync --help: %v\n%s", err, out)
	}
	args := strings.Fields(strings.TrimSpace(strings.SplitN(strings.Split(twoCommands[0], "&&")[1], "#", 2)[0]))
	if strings.Join(args[:3], " ") != "go run ./cmd/keapsync" {
		t.Fatalf("unexpected command %q", args)
	}
	db, env := demoDatabaseForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(args[3:], "--contacts", "1500", "--day", "3s", "--database", db)...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+env["DATABASE_URL"])
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	checkDemoOutput(t, result{code: code, stdout: stdout.String(), stderr: stderr.String()}, db)
}

func TestBinary_SIGTERMAndSIGINTStopWorkSoftly(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, envOptions{contacts: 20})
	e.mustRun(exitOK, "migrate")
	bin := keapsyncBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmd := exec.Command(bin, "-c", e.config, "work")
		for k, v := range e.env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var lines []string
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if strings.Contains(sc.Text(), "keapsync: working") {
				break
			}
		}
		start := time.Now()
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		err = cmd.Wait()
		out := strings.Join(lines, "\n")
		if err != nil || !strings.Contains(out, "keapsync: stopped") {
			t.Errorf("%v: %v\n%s", sig, err, out)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%v: stopping an idle worker took %v", sig, d)
		}
		assertNoSecret(t, "work's logs", out)
	}
}

func TestConfigExample_IsValidAndDocumentsEveryKey(t *testing.T) {
	t.Parallel()
	example := readRepoFile(t, "config.example.yaml")
	env := map[string]string{"DATABASE_URL": "postgres://keapsync@127.0.0.1:5432/keapsync", "KEAP_API_KEY": testAPIKey,
		"KEAP_API_KEY_SHOP": testAPIKey, "KEAPSYNC_HTTP_TOKEN": testToken}
	cfg, err := parseConfig("config.example.yaml", []byte(example), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("config.example.yaml: %v", err)
	}
	if len(cfg.Accounts) < 2 {
		t.Errorf("the example shows %d account(s); show two, one with every key", len(cfg.Accounts))
	}
	// Every key appears in the example, written or in a comment.
	var keys []string
	var walk func(reflect.Type, string)
	walk = func(tp reflect.Type, prefix string) {
		for tp.Kind() == reflect.Pointer || tp.Kind() == reflect.Slice {
			tp = tp.Elem()
		}
		if tp.Kind() != reflect.Struct || tp == durationType {
			return
		}
		for name, ft := range yamlFields(tp) {
			keys = append(keys, prefix+name)
			walk(ft, prefix+name+".")
		}
	}
	walk(reflect.TypeFor[fileConfig](), "")
	for _, key := range keys {
		leaf := key[strings.LastIndex(key, ".")+1:]
		if !regexp.MustCompile(`(?m)^\s*(#\s*)?(- )?` + leaf + `:`).MatchString(example) {
			t.Errorf("config.example.yaml does not document %s", key)
		}
	}
}

func TestREADME_ListsEveryMetricAndStatusField(t *testing.T) {
	t.Parallel()
	readme := readRepoFile(t, "README.md")
	reg := prometheus.NewRegistry()
	newPromMetrics(reg)
	names := map[string]bool{}
	descs := make(chan *prometheus.Desc, 100)
	go func() {
		newStatusCollector(nil).Describe(descs)
		close(descs)
	}()
	for d := range descs {
		names[regexp.MustCompile(`fqName: "([^"]+)"`).FindStringSubmatch(d.String())[1]] = true
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		names[f.GetName()] = true
	}
	for _, want := range []string{"keapsync_keap_calls_total", "keapsync_keap_rate_limited_total", "keapsync_snoozes_total",
		"keapsync_rows_total", "keapsync_pages_total", "keapsync_job_duration_seconds"} {
		names[want] = true // vectors without a child are not gathered
	}
	for name := range names {
		if strings.HasPrefix(name, "keapsync_") && !strings.Contains(readme, "`"+name+"`") {
			t.Errorf("the README does not document the metric %s", name)
		}
	}
	for _, field := range jsonFields(reflect.TypeFor[jobs.Status]()) {
		if !strings.Contains(readme, "`"+field+"`") {
			t.Errorf("the README does not document the status JSON field %s", field)
		}
	}
}

// jsonFields lists the JSON field names of t and the structs it holds.
func jsonFields(t reflect.Type) []string {
	seen := map[string]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t == reflect.TypeFor[time.Time]() {
			return
		}
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "" && name != "-" {
				seen[name] = true
			}
			walk(f.Type)
		}
	}
	walk(t)
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestREADME_ConnectionCountIsTheCode checks that the connection count the
// README and the example configuration state is the one the pools are sized
// with.
func TestREADME_ConnectionCountIsTheCode(t *testing.T) {
	t.Parallel()
	want := fmt.Sprintf("worker.concurrency` x accounts + %d", poolOverhead+ledgerPoolSize)
	if readme := readRepoFile(t, "README.md"); !strings.Contains(readme, want) {
		t.Errorf("README.md does not say %q", want)
	}
	want = fmt.Sprintf("worker.concurrency x accounts + %d connections (%d for the quota ledger)", poolOverhead+ledgerPoolSize, ledgerPoolSize)
	if example := readRepoFile(t, "config.example.yaml"); !strings.Contains(example, want) {
		t.Errorf("config.example.yaml does not say %q", want)
	}
}
