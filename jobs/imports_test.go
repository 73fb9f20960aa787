package jobs_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/keapsync/keapsync"

// TestImportDirection enforces the house's one direction of imports:
// cmd → jobs → {keap, warehouse → migrations}. keap and warehouse never
// import each other, keap knows no Postgres or River, and warehouse knows no
// River.
func TestImportDirection(t *testing.T) {
	t.Parallel()

	tests := []struct {
		pkgs      string
		forbidden []string
	}{
		{
			pkgs: "./keap/...",
			forbidden: []string{
				module + "/warehouse", module + "/jobs", module + "/migrations", module + "/cmd",
				"github.com/jackc/pgx", "github.com/riverqueue", "riverqueue.com",
			},
		},
		{
			pkgs: "./warehouse/...",
			forbidden: []string{
				module + "/keap", module + "/jobs", module + "/cmd",
				"github.com/riverqueue", "riverqueue.com",
			},
		},
		{
			pkgs: "./migrations/...",
			forbidden: []string{
				module + "/keap", module + "/jobs", module + "/warehouse", module + "/cmd",
				"github.com/riverqueue", "riverqueue.com",
			},
		},
		{
			pkgs:      "./jobs/...",
			forbidden: []string{module + "/cmd"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.pkgs, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("go", "list", "-deps", tt.pkgs)
			cmd.Dir = ".."
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", tt.pkgs, err)
			}
			deps := strings.Fields(string(out))
			if len(deps) == 0 {
				t.Fatalf("go list -deps %s listed nothing", tt.pkgs)
			}
			for _, dep := range deps {
				for _, f := range tt.forbidden {
					if dep == f || strings.HasPrefix(dep, f+"/") || strings.HasPrefix(dep, f+".") {
						t.Errorf("%s depends on %s, which it must not import", tt.pkgs, dep)
					}
				}
			}
		})
	}
}
