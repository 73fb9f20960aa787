package warehouse

import (
	"fmt"
)

//go:generate go run ./internal/gentables -o tables_gen.go -mappers ../jobs/map_gen.go

// ColumnType is the Postgres type of a typed column, which decides the Go
// type of its field in the generated row types.
type ColumnType int

// The column types. A nil field is NULL.
const (
	Text        ColumnType = iota + 1 // text; *string
	BigInt                            // bigint; *int64
	Integer                           // integer; *int32
	Numeric                           // numeric; *Decimal
	Boolean                           // boolean; *bool
	Timestamptz                       // timestamptz; *time.Time
	Date                              // date; *time.Time, its date in its location
	JSONB                             // jsonb; json.RawMessage holding valid JSON
	BigIntArray                       // bigint[]; []int64
)

// String returns the type's Postgres name.
func (c ColumnType) String() string {
	switch c {
	case Text:
		return "text"
	case BigInt:
		return "bigint"
	case Integer:
		return "integer"
	case Numeric:
		return "numeric"
	case Boolean:
		return "boolean"
	case Timestamptz:
		return "timestamp with time zone"
	case Date:
		return "date"
	case JSONB:
		return "jsonb"
	case BigIntArray:
		return "bigint[]"
	}
	return fmt.Sprintf("ColumnType(%d)", int(c))
}

// Column is a typed column of a table.
type Column struct {
	Name string
	Type ColumnType
}

// Table describes a stream's table: its typed columns (besides account, id,
// raw and the metadata columns every table has) and its child tables. The
// generic writer (Warehouse.Upsert) serves every table from this descriptor.
type Table struct {
	// Name is the table's name in the data schema, also the stream's name.
	Name string

	// Columns are the typed columns, in table order.
	Columns []Column

	// Children are the tables holding the record's nested lists.
	Children []*ChildTable
}

// ChildTable describes a table of rows nested in a parent record (order items,
// a contact's email addresses). Its key is (account, ParentColumn, position),
// position being the entry's index in the parent's list.
type ChildTable struct {
	Name         string
	ParentColumn string
	Columns      []Column
}

// Tables returns the descriptors of every table the warehouse writes, one
// per stream of the catalogue, generated from the migrations (go generate
// ./warehouse/). The caller must not modify them.
func Tables() []*Table {
	return tables
}

// TableRow is the typed part of a record: one of the generated row types of
// the stream tables (*ContactsRow, *OrdersRow, ...), generated from the
// migrations like the descriptors. Each holds a field per typed column, nil
// standing for NULL, and a slice per child table (ContactsRow.Tags). A value
// of the right Go type that Postgres cannot store (text that is not UTF-8 or
// holds a NUL byte, a Decimal that is not a number or out of numeric's
// range, a time out of the column's range, invalid JSON) is stored as NULL
// and recorded in the row's problems instead of failing the page. Only the
// generated types implement it.
type TableRow interface {
	// TableName returns the name of the table the row belongs to.
	TableName() string

	// writeTo hands the row's values to w in table order (see rowWriter);
	// false for a nil row.
	writeTo(w *rowWriter) bool
}

// Row is one record mapped for the warehouse. The warehouse does not parse
// Keap's JSON: the pipeline fills the typed values, and keeps the record as
// received in Raw.
type Row struct {
	// ID is the record's Keap id.
	ID int64

	// Raw is the full record as received: valid JSON, stored as jsonb. Its
	// hash decides whether a re-synced row changed.
	Raw []byte

	// Problems lists the fields that could not be typed; their columns
	// are NULL and their values are in Raw.
	Problems []Problem

	// Values are the typed columns and the child rows: a row type of the
	// table written (*ContactsRow for contacts). Required. The child rows
	// replace the stored ones whenever the record changes.
	Values TableRow
}

// Problem is a field of a record that could not be typed. Analysts see
// problems in each table's _problems column.
type Problem struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}
