// Package migrations holds keapsync's versioned SQL for the analysts' schema
// (default keap) and keapsync's state schema (default keapsync), embedded in
// the binary and applied with goose.
//
// The SQL files name schemas through placeholders ({{DATA}}, {{STATE}}, and
// {{DATA_LIT}}, {{STATE_LIT}} for string literals) that are replaced with the
// configured names before goose reads them, so every test can migrate schemas
// of its own. Goose records applied versions in <state>.goose_db_version and
// holds a Postgres advisory lock while migrating, so concurrent Up calls
// against one database are safe. River's tables are not migrated here (this
// package knows nothing of River); package jobs runs both.
package migrations
