package warehouse

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"
)

// ColumnType is the Postgres type of a typed column, which decides the Go
// values it accepts (see Values).
type ColumnType int

// The column types.
const (
	Text        ColumnType = iota + 1 // text; string
	BigInt                            // bigint; int64 or int
	Integer                           // integer; int32, int or int64 in range
	Numeric                           // numeric; float64, int64, int, decimal string or pgtype.Numeric
	Boolean                           // boolean; bool
	Timestamptz                       // timestamptz; time.Time (zero is NULL)
	Date                              // date; time.Time, its date in its location (zero is NULL)
	JSONB                             // jsonb; []byte or json.RawMessage holding valid JSON
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
// per stream of the catalogue. The caller must not modify them.
func Tables() []*Table {
	return tables
}

// Values holds a row's typed columns by name. A column that is absent, or
// whose value is nil, is NULL. Each column accepts the Go types listed with
// its ColumnType; any other type is a *ValueError (a mapping bug). A value of
// the right type that Postgres cannot store (text that is not UTF-8 or holds
// a NUL byte, a NaN, an integer out of range) is stored as NULL and recorded
// in the row's problems instead of failing the page.
type Values map[string]any

// Row is one record mapped for the warehouse. The warehouse does not parse
// Keap's JSON: the pipeline fills the typed values, and keeps the record as
// received in Raw.
type Row struct {
	// ID is the record's Keap id.
	ID int64

	// Values are the typed columns.
	Values Values

	// Raw is the full record as received: valid JSON, stored as jsonb. Its
	// hash decides whether a re-synced row changed.
	Raw []byte

	// Problems lists the fields that could not be typed; their columns
	// are NULL and their values are in Raw.
	Problems []Problem

	// Children holds the rows of each child table, by child table name,
	// in the order of the record's list. They replace the stored children
	// whenever the row changes.
	Children map[string][]Values
}

// Problem is a field of a record that could not be typed. Analysts see
// problems in each table's _problems column.
type Problem struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ValueError reports a value of a Go type its column does not accept.
type ValueError struct {
	Table  string
	ID     int64
	Column string
	Type   ColumnType
	Value  string // the Go type of the value, never the value itself
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("warehouse: %s id %d: column %s (%s) does not accept a %s", e.Table, e.ID, e.Column, e.Type, e.Value)
}

// convert returns v as the value to send for a column of type ct. A value of
// an accepted type that the column cannot store yields nil and a reason.
func convert(ct ColumnType, v any) (out any, problem string, ok bool) {
	if v == nil {
		return nil, "", true
	}
	switch ct {
	case Text:
		s, isString := v.(string)
		if !isString {
			return nil, "", false
		}
		if !utf8.ValidString(s) {
			return nil, "not valid UTF-8", true
		}
		for i := 0; i < len(s); i++ {
			if s[i] == 0 {
				return nil, "contains a NUL character", true
			}
		}
		return s, "", true
	case BigInt:
		switch n := v.(type) {
		case int64:
			return n, "", true
		case int:
			return int64(n), "", true
		}
	case Integer:
		switch n := v.(type) {
		case int32:
			return n, "", true
		case int:
			if n < math.MinInt32 || n > math.MaxInt32 {
				return nil, "out of the integer range", true
			}
			return int32(n), "", true
		case int64:
			if n < math.MinInt32 || n > math.MaxInt32 {
				return nil, "out of the integer range", true
			}
			return int32(n), "", true
		}
	case Numeric:
		switch n := v.(type) {
		case float64:
			if math.IsNaN(n) || math.IsInf(n, 0) {
				return nil, "not a finite number", true
			}
			return n, "", true
		case int64:
			return n, "", true
		case int:
			return int64(n), "", true
		case pgtype.Numeric:
			return n, "", true
		case string:
			var num pgtype.Numeric
			if err := num.Scan(n); err != nil || !num.Valid || num.NaN || num.InfinityModifier != pgtype.Finite {
				return nil, "not a decimal number", true
			}
			return num, "", true
		}
	case Boolean:
		if b, isBool := v.(bool); isBool {
			return b, "", true
		}
	case Timestamptz:
		if t, isTime := v.(time.Time); isTime {
			if t.IsZero() {
				return nil, "", true
			}
			return t, "", true
		}
	case Date:
		if t, isTime := v.(time.Time); isTime {
			if t.IsZero() {
				return nil, "", true
			}
			y, m, d := t.Date()
			return pgtype.Date{Time: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), Valid: true}, "", true
		}
	case JSONB:
		var b []byte
		switch j := v.(type) {
		case []byte:
			b = j
		case json.RawMessage:
			b = j
		default:
			return nil, "", false
		}
		if len(b) == 0 {
			return nil, "", true
		}
		if !json.Valid(b) {
			return nil, "not valid JSON", true
		}
		if b, replaced := replaceNULEscapes(b); replaced {
			return string(b), `\u0000 replaced with \ufffd: jsonb cannot store it`, true
		}
		return string(b), "", true
	case BigIntArray:
		if a, isSlice := v.([]int64); isSlice {
			return a, "", true
		}
	}
	return nil, "", false
}
