package warehouse

import (
	"bytes"
	"os"
	"testing"

	"github.com/keapsync/keapsync/warehouse/internal/tablegen"
)

// TestTablesGen_IsUpToDateWithTheMigrations regenerates tables_gen.go from
// the embedded migrations and compares: a migration that changes a data
// table must come with its regenerated descriptors and row types.
func TestTablesGen_IsUpToDateWithTheMigrations(t *testing.T) {
	t.Parallel()
	want, err := tablegen.FromMigrations()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("tables_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gotLines, wantLines := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
		line := 0
		for line < min(len(gotLines), len(wantLines)) && bytes.Equal(gotLines[line], wantLines[line]) {
			line++
		}
		var gotLine, wantLine []byte
		if line < len(gotLines) {
			gotLine = gotLines[line]
		}
		if line < len(wantLines) {
			wantLine = wantLines[line]
		}
		t.Fatalf("tables_gen.go is stale (from line %d: have %q, the migrations make %q): run go generate ./warehouse/", line+1, gotLine, wantLine)
	}
}
