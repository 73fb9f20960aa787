package keaptest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keapsync/keapsync/internal/syncbuf"
	"github.com/keapsync/keapsync/keap/keapsim"
)

// Fake is a simulator in a process of its own (cmd/keapfake), at a higher
// scheduling priority than the processes under test (nice -10, where the
// tests may raise it, as root): Keap's gateway is not starved by the
// machine a sync runs on, so a test that measures pacing must not let the
// simulator be. It timestamps each request when it arrives, whatever the
// processes under test and the rest of the test run are doing.
type Fake struct {
	url, key string
	cmd      *exec.Cmd
	out      *syncbuf.Buffer
}

// StartFake builds cmd/keapfake (without the race detector) and starts it with opts, which may set only the fields
// keapfake takes as flags. It stops when tb's test ends.
func StartFake(tb testing.TB, opts keapsim.Options) *Fake {
	tb.Helper()
	args, err := fakeFlags(opts)
	if err != nil {
		tb.Fatalf("keaptest: %v", err)
	}
	bin := buildFake(tb)
	key := "keapsim-test-key"
	if len(opts.APIKeys) > 0 {
		key = opts.APIKeys[0]
	}
	cmdArgs := append([]string{"-n", "-10", bin}, args...)
	f := &Fake{key: key, out: &syncbuf.Buffer{}}
	f.cmd = exec.Command("nice", cmdArgs...)
	f.cmd.Stderr = f.out
	stdout, err := f.cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := f.cmd.Start(); err != nil {
		tb.Fatalf("keaptest: start keapfake: %v", err)
	}
	tb.Cleanup(f.stop)
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case l, ok := <-line:
		if !ok || !strings.HasPrefix(l, "http://") {
			tb.Fatalf("keaptest: keapfake printed %q:\n%s", l, f.out.String())
		}
		f.url = l
	case <-time.After(2 * time.Minute):
		tb.Fatalf("keaptest: keapfake did not start:\n%s", f.out.String())
	}
	return f
}

// fakeFlags turns opts into keapfake's flags, refusing what it cannot take.
func fakeFlags(o keapsim.Options) ([]string, error) {
	supported := map[string]bool{"Seed": true, "Contacts": true, "APIKeys": true, "PerSecond": true, "PerMinute": true,
		"PerDay": true, "TenantPerMinute": true, "Second": true, "Minute": true, "DayLength": true}
	v := reflect.ValueOf(o)
	for i := range v.NumField() {
		if name := v.Type().Field(i).Name; !supported[name] && !v.Field(i).IsZero() {
			return nil, fmt.Errorf("keapfake takes no flag for Options.%s", name)
		}
	}
	args := []string{"--addr", "127.0.0.1:0", "--log-level", "warn"}
	flag := func(name string, set bool, value string) {
		if set {
			args = append(args, "--"+name, value)
		}
	}
	flag("seed", o.Seed != 0, strconv.FormatInt(o.Seed, 10))
	flag("contacts", o.Contacts != 0, strconv.Itoa(o.Contacts))
	flag("api-key", len(o.APIKeys) > 0, strings.Join(o.APIKeys, ","))
	flag("per-second", o.PerSecond != 0, strconv.Itoa(o.PerSecond))
	flag("per-minute", o.PerMinute != 0, strconv.Itoa(o.PerMinute))
	flag("per-day", o.PerDay != 0, strconv.Itoa(o.PerDay))
	flag("tenant-per-minute", o.TenantPerMinute != 0, strconv.Itoa(o.TenantPerMinute))
	flag("second", o.Second != 0, o.Second.String())
	flag("minute", o.Minute != 0, o.Minute.String())
	flag("day-length", o.DayLength != 0, o.DayLength.String())
	return args, nil
}

// buildFake builds cmd/keapfake into tb's temporary directory, as users
// build it: without the race detector. (The go command caches the linked
// binary, so building it again costs a fraction of a second.)
func buildFake(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "keapfake")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/keapsync/keapsync/cmd/keapfake").CombinedOutput()
	if err != nil {
		tb.Fatalf("keaptest: go build keapfake: %v\n%s", err, out)
	}
	return bin
}

// URL is the base URL of Keap's REST API the fake serves.
func (f *Fake) URL() string { return f.url }

// APIKey is the first key the fake accepts.
func (f *Fake) APIKey() string { return f.key }

// root is the fake's address, where its control API lives.
func (f *Fake) root() string { return strings.TrimSuffix(f.url, "/crm/rest") }

func (f *Fake) get(path string, v any) error {
	res, err := http.Get(f.root() + path)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return fmt.Errorf("GET %s: %s: %s", path, res.Status, b)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

// Stats returns the fake's accounting (GET /_sim/stats).
func (f *Fake) Stats() (keapsim.Stats, error) {
	var st keapsim.Stats
	err := f.get("/_sim/stats", &st)
	return st, err
}

// Arrivals returns when each accepted request arrived (GET /_sim/arrivals).
func (f *Fake) Arrivals() ([]time.Time, error) {
	var ts []time.Time
	err := f.get("/_sim/arrivals", &ts)
	return ts, err
}

// Records returns a stream's live records as Server.Records does (GET
// /_sim/truth/{stream}).
func (f *Fake) Records(stream string, fields []string) ([]keapsim.TruthRecord, error) {
	path := "/_sim/truth/" + url.PathEscape(stream)
	if fields != nil {
		path += "?fields=" + url.QueryEscape(strings.Join(fields, ","))
	}
	var recs []keapsim.TruthRecord
	err := f.get(path, &recs)
	return recs, err
}

// Output is what the fake wrote to stderr.
func (f *Fake) Output() string { return f.out.String() }

func (f *Fake) stop() {
	if f.cmd.ProcessState == nil {
		_ = f.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = f.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = f.cmd.Process.Kill()
			<-done
		}
	}
}
