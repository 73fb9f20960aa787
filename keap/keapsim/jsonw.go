package keapsim

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// obj appends a JSON object field by field without reflection: pages are
// rendered on the hot path, a thousand records at a time.
type obj struct {
	b     []byte
	first bool
}

func (o *obj) begin(b []byte) { o.b = append(b, '{'); o.first = true }

func (o *obj) end() []byte { return append(o.b, '}') }

func (o *obj) key(k string) {
	if !o.first {
		o.b = append(o.b, ',')
	}
	o.first = false
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
}

func (o *obj) str(k, v string) { o.key(k); o.b = appendString(o.b, v) }

// strOpt writes v, or nothing when v is empty: Keap leaves absent optional
// properties out of v2 records.
func (o *obj) strOpt(k, v string) {
	if v != "" {
		o.str(k, v)
	}
}

func (o *obj) null(k string)               { o.key(k); o.b = append(o.b, "null"...) }
func (o *obj) int(k string, v int64)       { o.key(k); o.b = strconv.AppendInt(o.b, v, 10) }
func (o *obj) idStr(k string, v int64)     { o.key(k); o.b = appendIDString(o.b, v) }
func (o *obj) bool(k string, v bool)       { o.key(k); o.b = strconv.AppendBool(o.b, v) }
func (o *obj) float(k string, v float64)   { o.key(k); o.b = strconv.AppendFloat(o.b, v, 'f', -1, 64) }
func (o *obj) raw(k string, v []byte)      { o.key(k); o.b = append(o.b, v...) }
func (o *obj) timeV2(k string, ms int64)   { o.key(k); o.b = appendTimeV2(o.b, ms) }
func (o *obj) timeV1(k string, ms int64)   { o.key(k); o.b = appendTimeV1(o.b, ms) }
func (o *obj) dateOnly(k string, ms int64) { o.key(k); o.b = appendDate(o.b, ms) }

func appendIDString(b []byte, v int64) []byte {
	b = append(b, '"')
	b = strconv.AppendInt(b, v, 10)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// encoding/json does.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

// appendEscaped appends s escaped for the inside of a JSON string.
func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

// appendTimeV2 renders a v2 timestamp, to the second as Keap's v2 does:
// "2017-04-24T17:26:26Z".
func appendTimeV2(b []byte, ms int64) []byte {
	b = append(b, '"')
	b = time.UnixMilli(ms).UTC().AppendFormat(b, "2006-01-02T15:04:05Z")
	return append(b, '"')
}

// appendTimeV1 renders a v1 timestamp as recorded from real responses:
// milliseconds always ".000" and an offset without a colon,
// "2024-11-20T18:34:12.000+0000".
func appendTimeV1(b []byte, ms int64) []byte {
	b = append(b, '"')
	b = time.UnixMilli(ms).UTC().AppendFormat(b, "2006-01-02T15:04:05")
	b = append(b, ".000+0000"...)
	return append(b, '"')
}

func appendDate(b []byte, ms int64) []byte {
	b = append(b, '"')
	b = time.UnixMilli(ms).UTC().AppendFormat(b, "2006-01-02")
	return append(b, '"')
}
