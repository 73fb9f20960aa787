package warehouse

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// written returns what a rowWriter holds for COPY as comparable text, "NULL"
// for nil.
func written(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case *string:
		return *v
	case *int64:
		return fmt.Sprint(*v)
	case *int32:
		return fmt.Sprint(*v)
	case *bool:
		return fmt.Sprint(*v)
	case *time.Time:
		return v.Format(time.RFC3339)
	case pgtype.Date:
		return v.Time.Format(time.DateOnly)
	case pgtype.Numeric:
		s, err := v.Value()
		if err != nil {
			return "error: " + err.Error()
		}
		return s.(string)
	case []byte:
		return string(v)
	case []int64:
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("unexpected %T", v)
}

func TestRowWriter_StoresValuesAndTurnsUnstorableOnesIntoNullWithAProblem(t *testing.T) {
	t.Parallel()
	day := time.Date(1990, 2, 28, 23, 30, 0, 0, time.FixedZone("X", -5*3600))
	tests := []struct {
		name    string
		write   func(w *rowWriter)
		want    string
		problem string
	}{
		{"nil text is NULL", func(w *rowWriter) { w.text(nil) }, "NULL", ""},
		{"text", func(w *rowWriter) { w.text(new("Zoë 🎉")) }, "Zoë 🎉", ""},
		{"text with NUL", func(w *rowWriter) { w.text(new("a\x00b")) }, "NULL", "contains a NUL character"},
		{"text not UTF-8", func(w *rowWriter) { w.text(new("\xff")) }, "NULL", "not valid UTF-8"},
		{"bigint", func(w *rowWriter) { w.bigint(new(int64(1 << 40))) }, "1099511627776", ""},
		{"nil bigint is NULL", func(w *rowWriter) { w.bigint(nil) }, "NULL", ""},
		{"integer", func(w *rowWriter) { w.integer(new(int32(-12))) }, "-12", ""},
		{"boolean", func(w *rowWriter) { w.boolean(new(false)) }, "false", ""},
		{"nil boolean is NULL", func(w *rowWriter) { w.boolean(nil) }, "NULL", ""},
		{"numeric", func(w *rowWriter) { w.numeric(new(Decimal("12.50"))) }, "12.50", ""},
		{"numeric not a number", func(w *rowWriter) { w.numeric(new(Decimal("12,50"))) }, "NULL", "not a decimal number"},
		{"numeric out of range", func(w *rowWriter) { w.numeric(new(Decimal("1e-20000"))) }, "NULL", "out of the numeric range"},
		{"nil numeric is NULL", func(w *rowWriter) { w.numeric(nil) }, "NULL", ""},
		{"timestamptz", func(w *rowWriter) { w.timestamptz(new(day)) }, "1990-02-28T23:30:00-05:00", ""},
		{"zero timestamptz is stored", func(w *rowWriter) { w.timestamptz(new(time.Time{})) }, "0001-01-01T00:00:00Z", ""},
		{"timestamptz after 294276", func(w *rowWriter) { w.timestamptz(new(time.Date(294277, 1, 1, 0, 0, 0, 0, time.UTC))) }, "NULL", "out of the timestamptz range"},
		{"timestamptz before 4713 BC", func(w *rowWriter) { w.timestamptz(new(time.Date(-4713, 11, 23, 0, 0, 0, 0, time.UTC))) }, "NULL", "out of the timestamptz range"},
		{"last timestamptz", func(w *rowWriter) { w.timestamptz(new(time.Date(294276, 12, 31, 23, 59, 59, 0, time.UTC))) }, "294276-12-31T23:59:59Z", ""},
		{"date keeps the local date", func(w *rowWriter) { w.date(new(day)) }, "1990-02-28", ""},
		{"date after 5874897", func(w *rowWriter) { w.date(new(time.Date(5874898, 1, 1, 0, 0, 0, 0, time.UTC))) }, "NULL", "out of the date range"},
		{"jsonb", func(w *rowWriter) { w.jsonb(json.RawMessage(`{"a":1}`)) }, `{"a":1}`, ""},
		{"nil jsonb is NULL", func(w *rowWriter) { w.jsonb(nil) }, "NULL", ""},
		{"empty jsonb is invalid", func(w *rowWriter) { w.jsonb(json.RawMessage{}) }, "NULL", "not valid JSON"},
		{"jsonb invalid", func(w *rowWriter) { w.jsonb(json.RawMessage(`{"a":`)) }, "NULL", "not valid JSON"},
		{"jsonb with NUL escape is kept, replaced", func(w *rowWriter) { w.jsonb(json.RawMessage(`"a\u0000"`)) }, `"a\ufffd"`, `\u0000 replaced with \ufffd: jsonb cannot store it`},
		{"bigint array", func(w *rowWriter) { w.bigintArray([]int64{1, 2}) }, "[1 2]", ""},
		{"nil bigint array is NULL", func(w *rowWriter) { w.bigintArray(nil) }, "NULL", ""},
	}
	table := &Table{Name: "t", Columns: []Column{{Name: "a"}, {Name: "b"}}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newRowWriter(table, "acme", 1, 4, nil)
			w.text(new("first"))
			tt.write(w)
			if len(w.row) != 4 {
				t.Fatalf("row has %d values, want 4", len(w.row))
			}
			if got := written(w.row[3]); got != tt.want {
				t.Errorf("wrote %s, want %s", got, tt.want)
			}
			switch {
			case tt.problem == "" && len(w.problems) > 0:
				t.Errorf("problems %+v, want none", w.problems)
			case tt.problem != "" && (len(w.problems) != 1 || w.problems[0] != Problem{Field: "b", Reason: tt.problem}):
				t.Errorf("problems %+v, want b: %s", w.problems, tt.problem)
			}
		})
	}
}

func TestRowWriter_FilesChildRowsAndNamesTheirProblemsByPosition(t *testing.T) {
	t.Parallel()
	table := &Table{Name: "orders", Columns: []Column{{Name: "title"}}, Children: []*ChildTable{
		{Name: "order_items", ParentColumn: "order_id", Columns: []Column{{Name: "name"}, {Name: "sku"}}},
		{Name: "order_notes", ParentColumn: "order_id", Columns: []Column{{Name: "text"}}},
	}}
	own := []Problem{{Field: "x", Reason: "given"}}
	w := newRowWriter(table, "acme", 7, 3, own)
	w.text(new("order"))
	for pos := range 2 {
		w.child(0, pos)
		w.text(new(fmt.Sprint("item ", pos)))
		w.text(new("\xff"))
	}
	w.endRow()

	if len(w.parent) != 3 || w.parent[0] != "acme" || w.parent[1] != int64(7) || written(w.parent[2]) != "order" {
		t.Errorf("parent row %v, want acme, 7, its title", w.parent)
	}
	if len(w.children) != 2 || len(w.children[0]) != 2 || len(w.children[1]) != 0 {
		t.Fatalf("children %v, want two order items and no notes", w.children)
	}
	item := w.children[0][1]
	if item[0] != "acme" || item[1] != int64(7) || item[2] != int32(1) || written(item[3]) != "item 1" || item[4] != nil {
		t.Errorf("second item %v, want acme, 7, position 1, its name, NULL", item)
	}
	want := []Problem{{"x", "given"}, {"order_items[0].sku", "not valid UTF-8"}, {"order_items[1].sku", "not valid UTF-8"}}
	if fmt.Sprint(w.problems) != fmt.Sprint(want) {
		t.Errorf("problems %v, want %v", w.problems, want)
	}
	if len(own) != 1 {
		t.Errorf("the record's own problems were appended to: %v", own)
	}
}

func TestDecimal_ExactDigitsOrAProblem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want, problem string
	}{
		{"12.50", "12.50", ""},
		{"-3", "-3", ""},
		{"+7", "7", ""},
		{"0", "0", ""},
		{"0.00", "0.00", ""},
		{"-0.001", "-0.001", ""},
		{".5", "0.5", ""},
		{"5.", "5", ""},
		{"1.5e3", "1500", ""},
		{"1E-2", "0.01", ""},
		{"2e+0", "2", ""},
		{"12345678901234567890.123456789", "12345678901234567890.123456789", ""},
		{"98765432109876543210987654321", "98765432109876543210987654321", ""},
		{"1e-16383", "", ""},
		{"1e131071", "", ""},
		{"", "", "not a decimal number"},
		{"-", "", "not a decimal number"},
		{".", "", "not a decimal number"},
		{"12,50", "", "not a decimal number"},
		{" 1", "", "not a decimal number"},
		{"1 ", "", "not a decimal number"},
		{"1.2.3", "", "not a decimal number"},
		{"--1", "", "not a decimal number"},
		{"1e", "", "not a decimal number"},
		{"e5", "", "not a decimal number"},
		{"0x10", "", "not a decimal number"},
		{"NaN", "", "not a decimal number"},
		{"Infinity", "", "not a decimal number"},
		{"1e-16384", "", "out of the numeric range"},
		{"1e131072", "", "out of the numeric range"},
		{"1e99999999", "", "out of the numeric range"},
	}
	for _, tt := range tests {
		n, problem := Decimal(tt.in).numeric()
		if problem != tt.problem {
			t.Errorf("Decimal(%q): problem %q, want %q", tt.in, problem, tt.problem)
			continue
		}
		if problem != "" {
			continue
		}
		if !n.Valid {
			t.Errorf("Decimal(%q) is not a valid numeric", tt.in)
		}
		if got := written(n); tt.want != "" && got != tt.want {
			t.Errorf("Decimal(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestReplaceNULEscapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		replaced bool
	}{
		{`{"a":"plain"}`, `{"a":"plain"}`, false},
		{`{"a":"x\u0000y"}`, `{"a":"x\ufffdy"}`, true},
		{`{"a":"\\u0000"}`, `{"a":"\\u0000"}`, false},
		{`{"a":"\\\u0000"}`, `{"a":"\\\ufffd"}`, true},
		{`["\u0000","\u0000"]`, `["\ufffd","\ufffd"]`, true},
		{`"\"\u00001"`, `"\"\ufffd1"`, true},
	}
	for _, tt := range tests {
		got, replaced := replaceNULEscapes([]byte(tt.in))
		if string(got) != tt.want || replaced != tt.replaced {
			t.Errorf("replaceNULEscapes(%s) = %s, %v; want %s, %v", tt.in, got, replaced, tt.want, tt.replaced)
		}
	}
}
