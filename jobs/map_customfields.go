package jobs

import "encoding/json"

// jsonListJSON keeps a JSON array as received, for a jsonb column.
type jsonListJSON struct {
	v   json.RawMessage
	st  presence
	why string
}

func (l *jsonListJSON) UnmarshalJSON(b []byte) error {
	switch b[0] {
	case 'n':
		l.st = null
	case '[':
		l.v, l.st = append(json.RawMessage(nil), b...), present
	default:
		invalidValue(&l.st, &l.why, "not a list", b)
	}
	return nil
}

// jsonList returns a JSON list kept as received, for a jsonb column.
func (m *rowMapper) jsonList(name string, v *jsonListJSON) json.RawMessage {
	if !m.usable(name, v.st, v.why) {
		return nil
	}
	return v.v
}
