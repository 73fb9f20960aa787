package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
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
	err := cmd.Run()
	e.record(result{stderr: stderr.String()})
	if code := cmd.ProcessState.ExitCode(); code != exitFailure {
		t.Fatalf("sync against the hostile pages: exit %d (%v), want 1:\n%s", code, err, stderr.String())
	}
	for _, want := range []string{"more than the 1000 records asked for", "too_large"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("sync's output does not say %q:\n%s", want, stderr.String())
		}
	}
	peakMB := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss / 1024 // kilobytes on Linux
	t.Logf("peak resident memory of sync against the hostile pages: %d MB (bound %d MB)", peakMB, memoryBoundMB)
	if peakMB >= memoryBoundMB {
		t.Errorf("sync peaked at %d MB, over the README's %d MB", peakMB, memoryBoundMB)
	}
}
