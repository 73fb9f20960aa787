package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCIPostgres_TrustsOnlyTheLocalSocketAndLoopback feeds .ci/pg-hba-trust
// (what .ci/postgres applies to a cluster it has just installed) a
// pg_hba.conf with every kind of line: it used to turn every line to
// trust, host all all 0.0.0.0/0 included, and left that server running.
func TestCIPostgres_TrustsOnlyTheLocalSocketAndLoopback(t *testing.T) {
	t.Parallel()
	in := strings.Join([]string{
		"# TYPE DATABASE USER ADDRESS METHOD",
		"local   all             postgres                                peer",
		"local   all             all                                     peer",
		"host    all             all             127.0.0.1/32            scram-sha-256",
		"host    all             all             ::1/128                 scram-sha-256",
		"hostssl all             all             localhost               md5",
		"host    all             all             0.0.0.0/0               scram-sha-256",
		"host    all             all             ::/0                    md5",
		"hostssl all             all             10.0.0.0/8              md5",
		"host    all             all             127.0.0.1 255.255.255.255 md5",
		"host    all             all             127.0.0.2/32            md5",
		"# host  all             all             127.0.0.1/32            md5",
		"host    all             all             192.168.1.0/24          reject",
		"include_if_exists other.conf",
	}, "\n") + "\n"
	cmd := exec.Command("bash", "../../.ci/pg-hba-trust")
	cmd.Stdin = strings.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pg-hba-trust: %v", err)
	}
	inLines, outLines := strings.Split(in, "\n"), strings.Split(string(out), "\n")
	if len(inLines) != len(outLines) {
		t.Fatalf("%d lines in, %d out:\n%s", len(inLines), len(outLines), out)
	}
	trusted := map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true}
	for i, line := range outLines {
		f := strings.Fields(line)
		switch {
		case trusted[i]:
			if len(f) == 0 || f[len(f)-1] != "trust" || f[0] != strings.Fields(inLines[i])[0] {
				t.Errorf("line %d %q: want it trusted, got %q", i+1, inLines[i], line)
			}
		case line != inLines[i]:
			t.Errorf("line %d %q was changed to %q", i+1, inLines[i], line)
		}
	}
}
