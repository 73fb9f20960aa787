// Command gentables writes package warehouse's tables_gen.go, the table
// descriptors and typed row types, and package jobs's map_gen.go, the
// record mappers, from the embedded migration SQL (see package tablegen).
// Package warehouse runs it with go generate:
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
	out := fs.String("o", "tables_gen.go", "the tables file to write")
	mappers := fs.String("mappers", "", "the mappers file to write (package jobs's map_gen.go)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	src, err := tablegen.FromMigrations()
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		return err
	}
	if *mappers == "" {
		return nil
	}
	msrc, err := tablegen.MappersFromMigrations()
	if err != nil {
		return err
	}
	return os.WriteFile(*mappers, msrc, 0o644)
}
