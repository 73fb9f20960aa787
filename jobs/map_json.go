package jobs

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse"
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

// invalidValue marks v as unusable: why says what was wrong, with a short
// clipped excerpt of the JSON value.
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
	if bytes.IndexByte(inner, '\\') < 0 {
		if !utf8.Valid(inner) {
			return "", "not valid UTF-8"
		}
		return string(inner), ""
	}
	if !utf8.Valid(inner) {
		return "", "not valid UTF-8"
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

// jNum is a decimal number, kept as the exact digits Keap sent: a JSON
// number, or a string holding one ("12.50").
type jNum struct {
	v   warehouse.Decimal
	st  presence
	why string
}

func (n *jNum) UnmarshalJSON(b []byte) error {
	switch {
	case b[0] == 'n':
		n.st = null
	case isNumberLiteral(b):
		n.v, n.st = warehouse.Decimal(b), present
	case b[0] == '"':
		s, reason := jsonString(b)
		switch {
		case reason != "":
			invalidValue(&n.st, &n.why, reason, b)
		case s == "":
			n.st = null
		case !isDecimal(s):
			invalidValue(&n.st, &n.why, "not a number", b)
		default:
			n.v, n.st = warehouse.Decimal(s), present
		}
	default:
		invalidValue(&n.st, &n.why, "not a number", b)
	}
	return nil
}

// isDecimal reports whether s is a decimal number as JSON writes one,
// with an optional leading "+" and fraction digits after a bare point
// ("-3", "12.50", ".5", "1.5e3").
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// jMoney is an amount. v2 sends most amounts as a CurrencyValue object,
// {"amount": 10000, "currency_code": "USD"}, whose amount is in the
// currency's smallest unit; other endpoints send a plain number or numeric
// string in the currency's main unit. v holds main units either way.
type jMoney struct {
	v        warehouse.Decimal
	currency jText
	st       presence
	why      string
}

// currencyValue is the v2 CurrencyValue object.
type currencyValue struct {
	Amount       jNum  `json:"amount"`
	CurrencyCode jText `json:"currency_code"`
}

func (m *jMoney) UnmarshalJSON(b []byte) error {
	if b[0] != '{' {
		var n jNum
		_ = n.UnmarshalJSON(b)
		m.v, m.st, m.why = n.v, n.st, n.why
		return nil
	}
	var cv currencyValue
	if err := json.Unmarshal(b, &cv); err != nil {
		invalidValue(&m.st, &m.why, "not an amount", b)
		return nil
	}
	m.currency = cv.CurrencyCode
	switch cv.Amount.st {
	case absent, null:
		m.st = null
	case invalid:
		m.st, m.why = invalid, "amount "+cv.Amount.why
	default:
		code := ""
		if cv.CurrencyCode.st == present {
			code = cv.CurrencyCode.v
		}
		m.v, m.st = warehouse.Decimal(shiftDecimal(string(cv.Amount.v), -minorDigits(code))), present
	}
	return nil
}

// minorDigits is the number of decimals of a currency's smallest unit
// (ISO 4217): 2 unless the currency is listed below, so also for a missing
// or unknown code.
func minorDigits(code string) int {
	switch strings.ToUpper(code) {
	case "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF":
		return 0
	case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND":
		return 3
	case "CLF", "UYW":
		return 4
	}
	return 2
}

// shiftDecimal multiplies the decimal s (as isDecimal accepts) by
// 10^places, exactly, by moving its point: "10000" shifted by -2 is
// "100.00".
func shiftDecimal(s string, places int) string {
	if places == 0 {
		return s
	}
	sign := ""
	if s[0] == '-' || s[0] == '+' {
		if s[0] == '-' {
			sign = "-"
		}
		s = s[1:]
	}
	if e := strings.IndexAny(s, "eE"); e >= 0 {
		exp, err := strconv.Atoi(s[e+1:])
		if err != nil {
			return sign + s // not reached for what isDecimal accepts
		}
		return sign + s[:e] + "e" + strconv.Itoa(exp+places)
	}
	intPart, frac, _ := strings.Cut(s, ".")
	digits := intPart + frac
	point := len(intPart) + places
	switch {
	case point <= 0:
		digits = strings.Repeat("0", 1-point) + digits
		point = 1
	case point > len(digits):
		digits += strings.Repeat("0", point-len(digits))
	}
	if point == len(digits) {
		return sign + digits
	}
	return sign + digits[:point] + "." + digits[point:]
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
