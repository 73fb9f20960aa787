// Package migrations holds keapsync's versioned SQL for the analysts' schema
// (default keap) and keapsync's state schema (default keapsync), embedded in
// the binary and applied with goose.
//
// The SQL files name schemas through templates written as SQL comments, so
// they stay valid SQL that psql and linters read as they are (River marks its
// schema the same way): "/* TEMPLATE: data */contacts" becomes
// "keap".contacts, "/* TEMPLATE_NAME: state */keapsync" the state schema's
// name, and "/* TEMPLATE_LITERAL: data */'keap'" its string literal, with the
// configured names (Render), so every test can migrate schemas of its own.
// Goose records applied versions in <state>.goose_db_version and
// holds a Postgres advisory lock while migrating, so concurrent Up calls
// against one database are safe. River's tables are not migrated here (this
// package knows nothing of River); package jobs runs both.
package migrations
