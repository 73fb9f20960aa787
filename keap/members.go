package keap

import (
	"bytes"
	"encoding/json"
)

// memberPair returns the values of the members named a and b (b may be "")
// of the JSON object raw, as json.Unmarshal into a map of json.RawMessage
// would: nil when absent, the last one when a name occurs twice. ok is false
// when raw is not an object. It reads only the object's top level and
// allocates nothing for the members it skips, which matters: every record
// of every page passes here before its mapper decodes it.
//
// raw must be valid JSON, as the page decoder's json.Decoder leaves it
// (it scans each value whole); on anything it cannot follow it falls back
// to json.Unmarshal.
func memberPair(raw []byte, a, b string) (va, vb json.RawMessage, ok bool) {
	va, vb, ok, sure := scanMemberPair(raw, a, b)
	if sure {
		return va, vb, ok
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return nil, nil, false
	}
	if b == "" {
		return fields[a], nil, true
	}
	return fields[a], fields[b], true
}

// scanMemberPair is memberPair's fast path; sure is false when raw is not
// the valid JSON it expects.
func scanMemberPair(raw []byte, a, b string) (va, vb json.RawMessage, ok, sure bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		// null, an array, a string, a number: not an object.
		return nil, nil, false, i < len(raw)
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return nil, nil, true, skipSpace(raw, i+1) == len(raw)
	}
	for i < len(raw) {
		end := skipString(raw, i)
		if end < 0 {
			return nil, nil, false, false
		}
		key := raw[i:end]
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return nil, nil, false, false
		}
		i = skipSpace(raw, i+1)
		vend := skipValue(raw, i)
		if vend < 0 {
			return nil, nil, false, false
		}
		val := raw[i:vend]
		if keyIs(key, a) {
			va = val
		} else if b != "" && keyIs(key, b) {
			vb = val
		}
		i = skipSpace(raw, vend)
		if i >= len(raw) {
			return nil, nil, false, false
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case '}':
			return va, vb, true, skipSpace(raw, i+1) == len(raw)
		default:
			return nil, nil, false, false
		}
	}
	return nil, nil, false, false
}

// keyIs reports whether the quoted JSON string key (quotes included) is
// name, unescaping it only when it holds an escape.
func keyIs(key []byte, name string) bool {
	inner := key[1 : len(key)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner) == name
	}
	var s string
	return json.Unmarshal(key, &s) == nil && s == name
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(raw []byte, i int) int {
	for i < len(raw) {
		switch raw[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just after the JSON string starting at i,
// or -1 if there is none.
func skipString(raw []byte, i int) int {
	if i >= len(raw) || raw[i] != '"' {
		return -1
	}
	for i++; i < len(raw); i++ {
		switch raw[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// skipValue returns the index just after the JSON value starting at i, or
// -1 if it cannot find its end.
func skipValue(raw []byte, i int) int {
	if i >= len(raw) {
		return -1
	}
	switch raw[i] {
	case '"':
		return skipString(raw, i)
	case '{', '[':
		depth := 0
		for i < len(raw) {
			switch raw[i] {
			case '"':
				i = skipString(raw, i)
				if i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	default: // a number, true, false or null
		start := i
		for i < len(raw) {
			switch raw[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				if i == start {
					return -1
				}
				return i
			}
			i++
		}
		if i == start {
			return -1
		}
		return i
	}
}
