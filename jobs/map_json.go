package jobs

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keapsync/keapsync/keap"
)

// The mappers decode each record once, with encoding/json, into a struct of
// the stream's fields. Every scalar field is one of the tolerant types
// below: its UnmarshalJSON never fails, it records what it received
// (absent, null, a value, or a value of the wrong type and why), so one odd
// field never hides the others and never fails the page. The mapper then
// reads each field with its JSON path (rowMapper), turning a wrong value
// into NULL and a warehouse.Problem. Nested objects and lists are plain
// structs and slices, decoded in the same pass; when one has the wrong
// shape (a string where a list belongs), encoding/json skips it and goes
// on, and shapeProblems names every such field (see map_shape.go).

// presence says what a record held for a field.
type presence uint8

const (
	absent  presence = iota // not in the record
	null                    // JSON null, or "" where a number or time belongs
	present                 // a usable value
	invalid                 // a value of the wrong type or form; see why
)

// invalidValue marks a field unusable (st) and says why, with a short
// clipped excerpt of its JSON value b.
func invalidValue(st *presence, why *string, reason string, b []byte) {
	*st = invalid
	*why = reason + ": " + excerpt(b)
}

// excerptMax bounds a quoted excerpt's length.
const excerptMax = 48

// excerpt returns a short quoted excerpt of a JSON value for a problem:
// its start, cut on a character boundary so that the quoted form, with
// invalid UTF-8 and control characters escaped, fits in excerptMax bytes.
func excerpt(b []byte) string {
	n := min(len(b), excerptMax)
	for {
		for n > 0 && n < len(b) && !utf8.RuneStart(b[n]) {
			n--
		}
		q := strconv.Quote(string(b[:n]))
		if n < len(b) {
			q += "…"
		}
		if len(q) <= excerptMax+len("…") || n == 0 {
			return q
		}
		n = n * 2 / 3
	}
}

// jsonString returns the string a JSON string literal holds. Keap's strings
// rarely hold escapes: those without are copied, not decoded. A string
// that is not valid UTF-8 or holds a NUL character, which no text column
// stores, returns the reason instead.
func jsonString(b []byte) (s string, reason string) {
	inner := b[1 : len(b)-1]
	if !utf8.Valid(inner) {
		return "", "not valid UTF-8"
	}
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), ""
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return "", "not a string"
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "", "contains a NUL character"
	}
	return s, ""
}

// isNumberLiteral reports whether b starts like a JSON number.
func isNumberLiteral(b []byte) bool {
	return len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9')
}

// jText is a text field. Keap sends some declared strings as numbers
// (postal codes, extensions, invoice numbers): their digits are the text.
type jText struct {
	v   string
	st  presence
	why string
}

func (t *jText) UnmarshalJSON(b []byte) error {
	switch {
	case b[0] == 'n':
		t.st = null
	case b[0] == '"':
		s, reason := jsonString(b)
		if reason != "" {
			invalidValue(&t.st, &t.why, reason, b)
			return nil
		}
		t.v, t.st = s, present
	case isNumberLiteral(b):
		t.v, t.st = string(b), present
	default:
		invalidValue(&t.st, &t.why, "not a string", b)
	}
	return nil
}

// jInt is an integer: an id (v2 sends ids as strings, v1 as numbers), a
// count or a quantity, as a JSON number or a string of digits.
type jInt struct {
	v   int64
	st  presence
	why string
}

func (n *jInt) UnmarshalJSON(b []byte) error {
	var digits string
	switch {
	case b[0] == 'n':
		n.st = null
		return nil
	case b[0] == '"':
		s, reason := jsonString(b)
		if reason != "" {
			invalidValue(&n.st, &n.why, reason, b)
			return nil
		}
		if s == "" {
			n.st = null
			return nil
		}
		digits = s
	case isNumberLiteral(b):
		digits = string(b)
	default:
		invalidValue(&n.st, &n.why, "not an integer", b)
		return nil
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	switch {
	case err == nil:
		n.v, n.st = v, present
	case isIntegerText(digits):
		invalidValue(&n.st, &n.why, "out of the bigint range", b)
	default:
		invalidValue(&n.st, &n.why, "not an integer", b)
	}
	return nil
}

// isIntegerText reports whether b is an optionally signed run of digits.
func isIntegerText(b string) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for i := 0; i < len(b); i++ {
		if c := b[i]; c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// jBool is a boolean: true or false, their strings, or v1's 0 and 1.
type jBool struct {
	v   bool
	st  presence
	why string
}

func (t *jBool) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "null":
		t.st = null
	case "true", "1", `"true"`, `"TRUE"`, `"True"`:
		t.v, t.st = true, present
	case "false", "0", `"false"`, `"FALSE"`, `"False"`:
		t.v, t.st = false, present
	default:
		invalidValue(&t.st, &t.why, "not a boolean", b)
	}
	return nil
}

// jTime is a timestamp in any form keap.ParseTime reads: v2's RFC 3339,
// v1's "+0000" offsets, epoch milliseconds as a number or a string.
type jTime struct {
	v   time.Time
	st  presence
	why string
}

func (t *jTime) UnmarshalJSON(b []byte) error {
	var s string
	switch {
	case b[0] == 'n':
		t.st = null
		return nil
	case b[0] == '"':
		var reason string
		if s, reason = jsonString(b); reason != "" {
			invalidValue(&t.st, &t.why, reason, b)
			return nil
		}
		if s == "" {
			t.st = null
			return nil
		}
	case isNumberLiteral(b):
		s = string(b)
	default:
		invalidValue(&t.st, &t.why, "not a timestamp", b)
		return nil
	}
	v, err := keap.ParseTime(s)
	if err != nil {
		if t.why = err.Error(); len(t.why) > 80 {
			invalidValue(&t.st, &t.why, "not a timestamp", b)
		}
		t.st = invalid
		return nil
	}
	t.v, t.st = v, present
	return nil
}

// jDate is a calendar date: "1985-03-15", or a timestamp whose date, as
// written, is the one meant (v1 sends birthdays as midnight timestamps).
type jDate struct {
	v   time.Time
	st  presence
	why string
}

func (d *jDate) UnmarshalJSON(b []byte) error {
	if b[0] == 'n' {
		d.st = null
		return nil
	}
	if b[0] != '"' {
		invalidValue(&d.st, &d.why, "not a date", b)
		return nil
	}
	s, reason := jsonString(b)
	switch {
	case reason != "":
		invalidValue(&d.st, &d.why, reason, b)
		return nil
	case s == "":
		d.st = null
		return nil
	case len(s) < 10:
		invalidValue(&d.st, &d.why, "not a date", b)
		return nil
	}
	day, err := time.Parse(time.DateOnly, s[:10])
	if err == nil && len(s) > 10 {
		_, err = keap.ParseTime(s)
	}
	if err != nil {
		invalidValue(&d.st, &d.why, "not a date", b)
		return nil
	}
	d.v, d.st = day, present
	return nil
}

// jIDList is a list of ids: v2's array of id strings, or v1's string of
// comma-separated ids ("12" or "12,15"). One id that is not an integer
// makes the whole list unusable: a partial list would read as complete.
type jIDList struct {
	v   []int64
	st  presence
	why string
}

func (l *jIDList) UnmarshalJSON(b []byte) error {
	switch {
	case b[0] == 'n':
		l.st = null
	case b[0] == '[':
		var elems []jInt
		if err := json.Unmarshal(b, &elems); err != nil {
			invalidValue(&l.st, &l.why, "not a list of ids", b)
			return nil
		}
		l.v = make([]int64, len(elems))
		for i, e := range elems {
			if e.st != present {
				invalidValue(&l.st, &l.why, "element "+strconv.Itoa(i)+" is not an id", b)
				l.v = nil
				return nil
			}
			l.v[i] = e.v
		}
		l.st = present
	case b[0] == '"':
		s, reason := jsonString(b)
		if reason != "" {
			invalidValue(&l.st, &l.why, reason, b)
			return nil
		}
		l.v = []int64{}
		for part := range strings.SplitSeq(s, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			id, err := strconv.ParseInt(part, 10, 64)
			if err != nil {
				invalidValue(&l.st, &l.why, "not a list of ids", b)
				l.v = nil
				return nil
			}
			l.v = append(l.v, id)
		}
		l.st = present
	case isNumberLiteral(b):
		var id jInt
		_ = id.UnmarshalJSON(b)
		if id.st != present {
			l.st, l.why = invalid, id.why
			return nil
		}
		l.v, l.st = []int64{id.v}, present
	default:
		invalidValue(&l.st, &l.why, "not a list of ids", b)
	}
	return nil
}
