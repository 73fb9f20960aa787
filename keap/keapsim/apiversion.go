package keapsim

import "strconv"

// apiVersion is the API version a record is rendered in. The v1 and v2
// lists show the same records; where a stream's two schemas carry the same
// properties in other formats, one render serves both, as a method of the
// version (apiV1.renderTask), and writes through these methods the values
// whose format differs: v2 ids are strings, times end in "Z" at the second
// and amounts are money objects; v1 ids are numbers, times carry
// ".000+0000" and amounts are numbers of dollars.
type apiVersion int

const (
	apiV2 apiVersion = iota
	apiV1
)

// either returns the v2 or the v1 of two names (or values) for the same
// thing.
func (ver apiVersion) either(v2, v1 string) string {
	if ver == apiV1 {
		return v1
	}
	return v2
}

func (ver apiVersion) appendID(b []byte, id int64) []byte {
	if ver == apiV1 {
		return strconv.AppendInt(b, id, 10)
	}
	return appendIDString(b, id)
}

func (ver apiVersion) id(o *obj, k string, id int64) { o.key(k); o.b = ver.appendID(o.b, id) }

func (ver apiVersion) time(o *obj, k string, ms int64) {
	if ver == apiV1 {
		o.timeV1(k, ms)
	} else {
		o.timeV2(k, ms)
	}
}

// money writes an amount in cents: v2 sends a money object, v1 a number of
// dollars.
func (ver apiVersion) money(o *obj, k string, cents int64) {
	if ver == apiV1 {
		o.float(k, float64(cents)/100)
		return
	}
	o.key(k)
	o.b = appendMoney(o.b, cents)
}

// flag writes v2's boolean, or the 0 or 1 a v1 schema holds in its place
// (opportunities' include_in_forecast, products' status).
func (ver apiVersion) flag(o *obj, k string, b bool) {
	switch {
	case ver == apiV2:
		o.bool(k, b)
	case b:
		o.int(k, 1)
	default:
		o.int(k, 0)
	}
}

// appendMoney appends a v2 money object.
func appendMoney(b []byte, cents int64) []byte {
	b = append(b, `{"amount":`...)
	b = strconv.AppendInt(b, cents, 10)
	b = append(b, `,"currency_code":"USD","formatted_amount":`...)
	b = appendString(b, money(cents))
	return append(b, '}')
}
