// Package warehouse is keapsync's PostgreSQL warehouse: the analysts' tables
// in schema keap, and keapsync's own state in schema keapsync (checkpoints,
// sync runs and the shared quota ledger).
//
// Every function that touches the database takes the executor (a pool or a
// transaction), so a page's rows, its checkpoint and the job's completion
// commit together. This package knows nothing of Keap's API or River.
package warehouse
