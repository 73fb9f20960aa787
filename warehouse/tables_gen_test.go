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
	checkGenerated(t, "tables_gen.go", want)
}

// TestTablesGen_TheMappersAreUpToDateWithTheMigrations does the same for
// package jobs's record mappers, generated from the columns' json notes.
func TestTablesGen_TheMappersAreUpToDateWithTheMigrations(t *testing.T) {
	t.Parallel()
	want, err := tablegen.MappersFromMigrations()
	if err != nil {
		t.Fatal(err)
	}
	checkGenerated(t, "../jobs/map_gen.go", want)
}

func checkGenerated(t *testing.T, file string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(file)
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
		t.Fatalf("%s is stale (from line %d: have %q, the migrations make %q): run go generate ./warehouse/", file, line+1, gotLine, wantLine)
	}
}
