// Command gentables writes package warehouse's tables_gen.go, the table
// descriptors and typed row types, from the embedded migration SQL (see
// package tablegen). Package warehouse runs it with go generate:
//
//	go generate ./warehouse/
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/keapsync/keapsync/warehouse/internal/tablegen"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gentables:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("gentables", flag.ContinueOnError)
	out := fs.String("o", "tables_gen.go", "the file to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	src, err := tablegen.FromMigrations()
	if err != nil {
		return err
	}
	return os.WriteFile(*out, src, 0o644)
}
