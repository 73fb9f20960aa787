package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap/keapsim"
)

// memoryBoundMB is the README's bound on a worker process's memory,
// whatever a server sends.
const memoryBoundMB = 250

// TestSync_AHostileServerCannotTakeTheProcessPastItsMemoryBound runs the
// binary as users build it (no -race) against a server that sends a page
// of 700,000 tiny records (12 MB) and a 100 MB page: a 60 MB page of about a
// million tiny records took a sync process to 893 MB. Both pages fail
// their runs, and the process's peak resident memory stays under the
// README's bound.
func TestSync_AHostileServerCannotTakeTheProcessPastItsMemoryBound(t *testing.T) {
	t.Parallel()
	bin := releaseBinary(t)
	e := newTestEnv(t, envOptions{contacts: 50})
	e.mustRun(exitOK, "migrate")
	for path, kind := range map[string]keapsim.FaultKind{"/v2/notes": keapsim.FaultManyTiny, "/v2/tasks": keapsim.FaultHuge} {
		if err := e.sim.AddFault(keapsim.Fault{Kind: kind, Probability: 1, PathPrefix: path}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // the old code followed the page for ever
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-c", e.config, "sync", "--wait", "--no-eta", "--poll", "100ms", "--stream", "notes,tasks")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + e.dir}
	for k, v := range e.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	peakMB, err := runForPeakRSS(t, cmd)
	e.record(result{stderr: stderr.String()})
	if code := cmd.ProcessState.ExitCode(); code != exitFailure {
		t.Fatalf("sync against the hostile pages: exit %d (%v), want 1:\n%s", code, err, stderr.String())
	}
	for _, want := range []string{"more than the 1000 records asked for", "too_large"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("sync's output does not say %q:\n%s", want, stderr.String())
		}
	}
	t.Logf("peak resident memory of sync against the hostile pages: %d MB (bound %d MB)", peakMB, memoryBoundMB)
	if peakMB >= memoryBoundMB {
		t.Errorf("sync peaked at %d MB, over the README's %d MB", peakMB, memoryBoundMB)
	}
}

// TestSync_EmailHistoryStaysUnderTheMemoryBound syncs email history alone,
// usually an account's largest collection, with the binary as users build
// it, and checks the process's peak resident memory (which bounds its
// heap) stays under the README's bound: pages stream through, nothing
// grows with the account. 100,000 emails by default;
// KEAPSYNC_EMAILS=1000000 measures a million.
func TestSync_EmailHistoryStaysUnderTheMemoryBound(t *testing.T) {
	t.Parallel()
	n := 100_000
	if v := os.Getenv("KEAPSYNC_EMAILS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("KEAPSYNC_EMAILS=%q: want a positive number", v)
		}
	}
	bin := releaseBinary(t)
	e := newTestEnv(t, envOptions{contacts: n, account: "streams: [emails]"}) // the tenant holds one email per contact
	e.mustRun(exitOK, "migrate")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-c", e.config, "sync", "--wait", "--no-eta", "--poll", "500ms")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + e.dir}
	for k, v := range e.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	began := time.Now()
	peakMB, err := runForPeakRSS(t, cmd)
	if err != nil {
		t.Fatalf("sync of %d emails: %v\n%s", n, err, out.String())
	}
	took := time.Since(began)
	e.record(result{stdout: out.String()})
	var rows int
	if err := e.pool.QueryRow(ctx, "SELECT count(*) FROM "+e.data+".emails").Scan(&rows); err != nil || rows != n {
		t.Fatalf("the warehouse holds %d emails (%v), want %d", rows, err, n)
	}
	t.Logf("sync of %d emails: peak resident memory %d MB (bound %d MB), %.0f emails/s", n, peakMB, memoryBoundMB, float64(n)/took.Seconds())
	if peakMB >= memoryBoundMB {
		t.Errorf("sync of %d emails peaked at %d MB, over the README's %d MB", n, peakMB, memoryBoundMB)
	}
}

// runForPeakRSS runs cmd and returns its peak resident memory in MB: the
// VmHWM of /proc/<pid>/status, read every 10 ms while it runs (a
// high-water mark only grows, so the last read misses at most the final
// 10 ms). Not the rusage wait4 reports: Linux carries the parent's
// high-water mark into a child that execs from the address space it
// shared with it (Go starts processes with a vfork-style clone), so the
// test process's simulator would be counted as the sync's.
func runForPeakRSS(t *testing.T, cmd *exec.Cmd) (int64, error) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var peakKB int64
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if peakKB == 0 {
				t.Fatal("the process ended before its memory could be read")
			}
			return peakKB / 1024, err
		case <-tick.C:
			b, err := os.ReadFile(status)
			if err != nil {
				continue // exiting
			}
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					if kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64); err == nil {
						peakKB = max(peakKB, kb)
					}
				}
			}
		}
	}
}
