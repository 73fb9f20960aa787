// Package tablegen generates package warehouse's table descriptors and typed
// row types from the migration SQL, the one source of the tables' shapes.
//
// It reads the Up sections of the migrations in version order, without a
// database: CREATE TABLE of the data schema ("/* TEMPLATE: data */name"),
// later ALTER TABLE ... ADD COLUMN / DROP COLUMN and DROP TABLE, and the
// tables' comments, which document the generated types. Statements that keep
// a table's shape (indexes, views, comments, functions) are skipped; any
// other statement naming a data table fails with its file and line, so no
// schema change goes unnoticed. State tables are ignored.
//
// A table keyed by (account, id), with the metadata columns raw, _problems,
// _hash, _synced_at, _sync_run_id and _deleted_at, is a stream table; one
// keyed by (account, <x>_id, position) is a child table of the stream table
// <x>s. Run it with go generate ./warehouse/ (see cmd gentables); package
// warehouse's tests fail when the generated file is stale.
package tablegen

import (
	"cmp"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/keapsync/keapsync/migrations"
)

// FromMigrations returns tables_gen.go generated from the embedded
// migrations.
func FromMigrations() ([]byte, error) {
	s, err := schemaFromMigrations()
	if err != nil {
		return nil, err
	}
	return Generate(s)
}

// schemaFromMigrations parses the embedded migrations.
func schemaFromMigrations() (*Schema, error) {
	files, err := ReadFiles(migrations.Source())
	if err != nil {
		return nil, err
	}
	s, err := Parse(files)
	if err != nil {
		return nil, fmt.Errorf("tablegen: %w", err)
	}
	return s, nil
}

// ReadFiles returns the *.sql files of fsys in version order: by the number
// their names start with, as goose applies them.
func ReadFiles(fsys fs.FS) ([]File, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("tablegen: %w", err)
	}
	type versioned struct {
		version int64
		name    string
	}
	var vs []versioned
	for _, name := range names {
		prefix, _, ok := strings.Cut(name, "_")
		v, err := strconv.ParseInt(prefix, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("tablegen: migration %s: name does not start with a version number and _", name)
		}
		vs = append(vs, versioned{v, name})
	}
	slices.SortFunc(vs, func(a, b versioned) int { return cmp.Compare(a.version, b.version) })
	files := make([]File, len(vs))
	for i, v := range vs {
		body, err := fs.ReadFile(fsys, v.name)
		if err != nil {
			return nil, fmt.Errorf("tablegen: %w", err)
		}
		files[i] = File{Name: "migrations/sql/" + v.name, SQL: string(body)}
	}
	return files, nil
}
