package warehouse

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"
)

// Decimal is a decimal number as text, for numeric columns: the exact
// digits of a JSON number ("12.50", "-3", "1.5e3"), never rounded through a
// float64. It is validated when written: text that is not a decimal number,
// or a number numeric cannot hold (more than 131072 digits before the
// point, or 16383 after it), is stored as NULL and recorded as a problem.
type Decimal string

// The limits of Postgres's numeric.
const (
	maxNumericIntDigits = 131072
	maxNumericScale     = 16383
)

// numeric returns d as the value COPY sends, or a problem.
func (d Decimal) numeric() (pgtype.Numeric, string) {
	const notDecimal, outOfRange = "not a decimal number", "out of the numeric range"
	s := string(d)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart := leadingDigits(s)
	s = s[len(intPart):]
	var frac string
	if s != "" && s[0] == '.' {
		frac = leadingDigits(s[1:])
		s = s[1+len(frac):]
	}
	if intPart == "" && frac == "" {
		return pgtype.Numeric{}, notDecimal
	}
	exp := 0
	if s != "" && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		expNeg := false
		if s != "" && (s[0] == '+' || s[0] == '-') {
			expNeg = s[0] == '-'
			s = s[1:]
		}
		digits := leadingDigits(s)
		if digits == "" {
			return pgtype.Numeric{}, notDecimal
		}
		s = s[len(digits):]
		if digits = strings.TrimLeft(digits, "0"); len(digits) > 7 {
			return pgtype.Numeric{}, outOfRange
		}
		if digits != "" {
			exp, _ = strconv.Atoi(digits) // at most 7 digits
		}
		if expNeg {
			exp = -exp
		}
	}
	if s != "" {
		return pgtype.Numeric{}, notDecimal
	}
	mantissa := strings.TrimLeft(intPart+frac, "0")
	exp -= len(frac)
	if -exp > maxNumericScale || mantissa != "" && len(mantissa)+exp > maxNumericIntDigits {
		return pgtype.Numeric{}, outOfRange
	}
	n := new(big.Int)
	if len(mantissa) <= 18 {
		u, _ := strconv.ParseUint("0"+mantissa, 10, 64) // at most 19 digits
		n.SetUint64(u)
	} else {
		n.SetString(mantissa, 10)
	}
	if neg {
		n.Neg(n)
	}
	return pgtype.Numeric{Int: n, Exp: int32(exp), Valid: true}, ""
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// The ranges of Postgres's timestamptz and date, from 4714-11-24 BC; the
// ends are exclusive.
var (
	minTimestamptz = time.Date(-4713, time.November, 24, 0, 0, 0, 0, time.UTC)
	endTimestamptz = time.Date(294277, time.January, 1, 0, 0, 0, 0, time.UTC)
	endDate        = time.Date(5874898, time.January, 1, 0, 0, 0, 0, time.UTC)
)

// rowWriter converts a record's typed values into the rows COPY sends. The
// generated writeTo methods hand it the record's fields in table order, then
// each child row's after a call to child; so a field handed to the wrong
// column type does not compile. A value Postgres cannot store becomes NULL
// and a problem naming its column.
type rowWriter struct {
	table   *Table
	account any // the record's key, boxed once for all its rows
	id      any

	row        []any // the row being written
	inChild    bool  // row is a child row
	childTable int   // its table, an index in table.Children
	position   int   // its position in the record's list

	parent   []any     // the record's own row, once filed
	children [][][]any // the child rows, by index in table.Children
	problems []Problem
}

// newRowWriter starts the row of record id; problems are the record's own,
// which the writer adds to.
func newRowWriter(t *Table, account string, id int64, capacity int, problems []Problem) *rowWriter {
	w := &rowWriter{table: t, account: account, id: id, problems: problems[:len(problems):len(problems)]}
	w.row = make([]any, 2, capacity)
	w.row[0], w.row[1] = w.account, w.id
	return w
}

// child files the row written so far and starts the child row at position
// pos of the child table Children[c].
func (w *rowWriter) child(c, pos int) {
	w.endRow()
	w.inChild, w.childTable, w.position = true, c, pos
	w.row = make([]any, 3, 3+len(w.table.Children[c].Columns))
	w.row[0], w.row[1], w.row[2] = w.account, w.id, int32(pos)
}

// endRow files the row being written: the record's own, or a child row.
func (w *rowWriter) endRow() {
	switch {
	case !w.inChild:
		w.parent = w.row
	default:
		if w.children == nil {
			w.children = make([][][]any, len(w.table.Children))
		}
		w.children[w.childTable] = append(w.children[w.childTable], w.row)
	}
	w.row = nil
}

// problem records a problem with the column being written.
func (w *rowWriter) problem(reason string) {
	var field string
	if !w.inChild {
		field = w.table.Columns[len(w.row)-2].Name
	} else {
		c := w.table.Children[w.childTable]
		field = fmt.Sprintf("%s[%d].%s", c.Name, w.position, c.Columns[len(w.row)-3].Name)
	}
	w.problems = append(w.problems, Problem{Field: field, Reason: reason})
}

// null writes NULL for a value that cannot be stored, and the reason.
func (w *rowWriter) null(reason string) {
	w.problem(reason)
	w.row = append(w.row, nil)
}

// orNil returns v, or an untyped nil for a nil pointer. pgx encodes a
// pointer's value, so no copy is boxed.
func orNil[T any](v *T) any {
	if v == nil {
		return nil
	}
	return v
}

func (w *rowWriter) text(v *string) {
	switch {
	case v == nil:
		w.row = append(w.row, nil)
	case !utf8.ValidString(*v):
		w.null("not valid UTF-8")
	case strings.IndexByte(*v, 0) >= 0:
		w.null("contains a NUL character")
	default:
		w.row = append(w.row, v)
	}
}

func (w *rowWriter) bigint(v *int64)  { w.row = append(w.row, orNil(v)) }
func (w *rowWriter) integer(v *int32) { w.row = append(w.row, orNil(v)) }
func (w *rowWriter) boolean(v *bool)  { w.row = append(w.row, orNil(v)) }

func (w *rowWriter) numeric(v *Decimal) {
	if v == nil {
		w.row = append(w.row, nil)
		return
	}
	n, reason := v.numeric()
	if reason != "" {
		w.null(reason)
		return
	}
	w.row = append(w.row, n)
}

func (w *rowWriter) timestamptz(v *time.Time) {
	switch {
	case v == nil:
		w.row = append(w.row, nil)
	case v.Before(minTimestamptz) || !v.Before(endTimestamptz):
		w.null("out of the timestamptz range")
	default:
		w.row = append(w.row, v)
	}
}

// date writes the date of v in v's location.
func (w *rowWriter) date(v *time.Time) {
	if v == nil {
		w.row = append(w.row, nil)
		return
	}
	y, m, d := v.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if day.Before(minTimestamptz) || !day.Before(endDate) {
		w.null("out of the date range")
		return
	}
	w.row = append(w.row, pgtype.Date{Time: day, Valid: true})
}

func (w *rowWriter) jsonb(v json.RawMessage) {
	switch {
	case v == nil:
		w.row = append(w.row, nil)
	case !json.Valid(v):
		w.null("not valid JSON")
	default:
		b, replaced := replaceNULEscapes(v)
		if replaced {
			w.problem(`\u0000 replaced with \ufffd: jsonb cannot store it`)
		}
		w.row = append(w.row, []byte(b))
	}
}

func (w *rowWriter) bigintArray(v []int64) {
	if v == nil {
		w.row = append(w.row, nil)
		return
	}
	w.row = append(w.row, v)
}
