package jobs

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/keapsync/keapsync/warehouse"
)

// Decimals and amounts keep the exact digits Keap sent, as warehouse.Decimal
// text: never a float64.

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
