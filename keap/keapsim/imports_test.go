package keapsim_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports_SimulatorIsIndependentOfTheClient keeps keapsim an
// independent implementation of Keap: its non-test code imports neither
// package keap (it would share the client's mistakes) nor anything outside
// the standard library.
func TestImports_SimulatorIsIndependentOfTheClient(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/keapsync/keapsync/keap/keapsim" {
			t.Errorf("keapsim imports %s", p)
		}
	}
}
