package warehouse

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/keapsync/keapsync/migrations"
)

// Executor runs queries: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx. Every
// warehouse call takes one, so the caller decides what commits together.
// Calls that need several statements begin a transaction on it (a savepoint
// inside a pgx.Tx), so they are atomic whatever the caller passes.
type Executor interface {
	Begin(ctx context.Context) (pgx.Tx, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	CopyFrom(ctx context.Context, tableName pgx.Identifier, columnNames []string, rowSrc pgx.CopyFromSource) (int64, error)
}

// Config names the schemas the warehouse works in; they must have been
// migrated (package migrations) with the same names.
type Config struct {
	// DataSchema holds the analysts' tables. Default "keap".
	DataSchema string

	// StateSchema holds checkpoints, sync runs and the quota ledger.
	// Default "keapsync".
	StateSchema string
}

// Warehouse writes Keap records, checkpoints and sync runs. Its SQL is
// rendered once, at construction, with the configured schema names. It holds
// no connection: every method takes the executor. It is safe for concurrent
// use.
type Warehouse struct {
	dataSchema  string
	stateSchema string
	tables      map[string]*tableSQL
	state       stateSQL
	runs        runSQL
	control     controlSQL
	incidents   incidentSQL
}

// New returns a Warehouse for cfg's schemas.
func New(cfg Config) (*Warehouse, error) {
	mc, err := migrations.Config{DataSchema: cfg.DataSchema, StateSchema: cfg.StateSchema}.WithDefaults()
	if err != nil {
		return nil, fmt.Errorf("warehouse: %w", err)
	}
	w := &Warehouse{
		dataSchema:  mc.DataSchema,
		stateSchema: mc.StateSchema,
		tables:      make(map[string]*tableSQL, len(tables)),
	}
	for _, t := range tables {
		w.tables[t.Name] = renderTable(w.dataSchema, t)
	}
	w.state = renderState(w.stateSchema, w.dataSchema)
	w.runs = renderRuns(w.stateSchema, w.dataSchema)
	w.control = renderControl(w.stateSchema, w.dataSchema)
	w.incidents = renderIncidents(w.stateSchema, w.dataSchema)
	return w, nil
}

// DataSchema returns the name of the analysts' schema.
func (w *Warehouse) DataSchema() string { return w.dataSchema }

// StateSchema returns the name of the state schema.
func (w *Warehouse) StateSchema() string { return w.stateSchema }

// ErrUnknownTable is returned (wrapped) for a table name that is not one of
// Tables().
var ErrUnknownTable = errors.New("unknown table")

func (w *Warehouse) table(name string) (*tableSQL, error) {
	t, ok := w.tables[name]
	if !ok {
		return nil, fmt.Errorf("%q: %w", name, ErrUnknownTable)
	}
	return t, nil
}

// render replaces the schema templates of a SQL statement (written like the
// migrations': "/* TEMPLATE: state */checkpoints").
func render(sql, data, state string) string {
	return migrations.Render(sql, migrations.Config{DataSchema: data, StateSchema: state})
}
