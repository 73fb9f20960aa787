package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startRun runs keapfake in-process and returns its base URL.
func startRun(t *testing.T, args ...string) (base string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, pw, io.Discard)
		pw.Close()
		done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("first line: %v (run: %v)", err, <-done)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return strings.TrimSpace(line), func() error {
		cancel()
		return <-done
	}
}

func getStatus(t *testing.T, url, key string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Keap-API-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	return res, err
}

func TestRun_FirstLineIsTheBaseURLAndFlagsApply(t *testing.T) {
	t.Parallel()
	base, stop := startRun(t, "--contacts", "50", "--api-key", "demo-key", "--per-day", "7", "--per-second", "-1",
		"--fault-503-at", "2")
	if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, "/crm/rest") {
		t.Fatalf("first line %q", base)
	}
	res, err := getStatus(t, base+"/v2/contacts?page_size=10", "demo-key")
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("X-Keap-Product-Quota-Limit") != "7" {
		t.Fatalf("status %d, quota limit %q", res.StatusCode, res.Header.Get("X-Keap-Product-Quota-Limit"))
	}
	if res, err := getStatus(t, base+"/v2/contacts", "demo-key"); err != nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("request 2 should fail with 503: %v %v", res, err)
	}
	if res, err := getStatus(t, base+"/v2/contacts", "keapsim-test-key"); err != nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the default key still works: %v %v", res, err)
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
}

func TestRun_BadFlagsAreErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--per-day", "many"},
		{"--rate-limit-body", "xml"},
		{"--fault-500", "1.5"},
		{"--mutations-per-second", "-1"},
		{"--log-level", "loud"},
		{"extra"},
	} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Fatalf("%v accepted", args)
		}
	}
}

func TestRun_MutationsPerSecondChangesTheTenant(t *testing.T) {
	t.Parallel()
	base, stop := startRun(t, "--contacts", "50", "--mutations-per-second", "200")
	root := strings.TrimSuffix(base, "/crm/rest")
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(root + "/_sim/stats")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(b), `"mutations":0,`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mutation: %s", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestMain_SIGTERMStopsCleanly builds the binary and stops it with a
// signal, as the demo does.
func TestMain_SIGTERMStopsCleanly(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "keapfake")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build: %v", err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmd := exec.Command(bin, "--contacts", "20")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || !strings.HasSuffix(strings.TrimSpace(line), "/crm/rest") {
			_ = cmd.Process.Kill()
			t.Fatalf("first line %q: %v", line, err)
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%v: exit %v", sig, err)
		}
	}
}
