package jobs

import (
	"encoding/json"

	"github.com/keapsync/keapsync/warehouse"
)

// customFieldJSON is a CustomFieldMetaData of a model endpoint
// (GET /v2/<entity>/model). Recorded v2 responses leave field_name,
// record_type, group_id and options null; v1 models send int ids and
// title-case types.
type customFieldJSON struct {
	Label        jText        `json:"label"`
	FieldName    jText        `json:"field_name"`
	FieldType    jText        `json:"field_type"`
	RecordType   jText        `json:"record_type"`
	GroupID      jInt         `json:"group_id"`
	GroupName    jText        `json:"group_name"`
	DefaultValue jText        `json:"default_value"`
	Options      jsonListJSON `json:"options"`
}

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

// customField maps a definition to the columns the four definitions tables
// share (their row types differ only in name).
func customField(m *rowMapper, raw []byte) warehouse.ContactCustomFieldsRow {
	var r customFieldJSON
	m.decode(raw, &r)
	row := warehouse.ContactCustomFieldsRow{
		Label:        m.text("label", &r.Label),
		FieldName:    m.text("field_name", &r.FieldName),
		FieldType:    m.text("field_type", &r.FieldType),
		RecordType:   m.text("record_type", &r.RecordType),
		GroupID:      m.bigint("group_id", &r.GroupID),
		GroupName:    m.text("group_name", &r.GroupName),
		DefaultValue: m.text("default_value", &r.DefaultValue),
	}
	if m.usable("options", r.Options.st, r.Options.why) {
		row.Options = r.Options.v
	}
	return row
}

func mapContactCustomField(m *rowMapper, raw []byte) warehouse.TableRow {
	row := customField(m, raw)
	return &row
}

func mapCompanyCustomField(m *rowMapper, raw []byte) warehouse.TableRow {
	row := warehouse.CompanyCustomFieldsRow(customField(m, raw))
	return &row
}

func mapOpportunityCustomField(m *rowMapper, raw []byte) warehouse.TableRow {
	row := warehouse.OpportunityCustomFieldsRow(customField(m, raw))
	return &row
}

func mapOrderCustomField(m *rowMapper, raw []byte) warehouse.TableRow {
	row := warehouse.OrderCustomFieldsRow(customField(m, raw))
	return &row
}
