package keapsim

import (
	"strconv"
)

// customField is one custom field definition. Definitions are fixed per
// entity; values are derived per record.
type customField struct {
	id        int64
	label     string
	fieldName string
	v2Type    string // CustomFieldMetaData.field_type (v2)
	v1Type    string // field_type (v1)
	options   []string
	groupID   int64
	groupName string
}

// customFieldSets are the definitions per entity, keyed by the v2 model
// path's entity ("contacts").
var customFieldSets = map[string][]customField{
	"contacts": {
		{id: 12, label: "Favourite Colour", fieldName: "FavouriteColour", v2Type: "DROPDOWN", v1Type: "Dropdown", options: []string{"Red", "Grün", "Blue"}, groupID: 1, groupName: "Profile"},
		{id: 14, label: "Lifetime Score", fieldName: "LifetimeScore", v2Type: "WHOLE_NUMBER", v1Type: "WholeNumber", groupID: 1, groupName: "Profile"},
		{id: 16, label: "Renewal Date", fieldName: "RenewalDate", v2Type: "DATE", v1Type: "Date", groupID: 1, groupName: "Profile"},
		{id: 18, label: "Biography", fieldName: "Biography", v2Type: "TEXT_AREA", v1Type: "TextArea", groupID: 2, groupName: "Notes & More"},
		{id: 20, label: "VIP?", fieldName: "VIP", v2Type: "YES_NO", v1Type: "YesNo", groupID: 2, groupName: "Notes & More"},
		{id: 22, label: "Referral Code", fieldName: "ReferralCode0", v2Type: "TEXT", v1Type: "Text", groupID: 2, groupName: "Notes & More"},
	},
	"companies": {
		{id: 30, label: "Industry", fieldName: "Industry", v2Type: "TEXT", v1Type: "Text", groupID: 3, groupName: "Company"},
		{id: 32, label: "Employees", fieldName: "Employees", v2Type: "WHOLE_NUMBER", v1Type: "WholeNumber", groupID: 3, groupName: "Company"},
	},
	"opportunities": {
		{id: 40, label: "Deal Source", fieldName: "DealSource", v2Type: "DROPDOWN", v1Type: "Dropdown", options: []string{"Web", "Referral", "Événement"}, groupID: 4, groupName: "Deal"},
		{id: 42, label: "Discount %", fieldName: "DiscountPct", v2Type: "PERCENT", v1Type: "Percent", groupID: 4, groupName: "Deal"},
	},
	"orders": {
		{id: 50, label: "PO Number", fieldName: "_PONumber0", v2Type: "TEXT", v1Type: "Text", groupID: 5, groupName: "Order"},
		{id: 52, label: "Gift Wrap", fieldName: "_GiftWrap1", v2Type: "YES_NO", v1Type: "YesNo", groupID: 5, groupName: "Order"},
	},
	// Notes, tasks and appointments share one record type in Keap, and so
	// their custom fields.
	"notes": {
		{id: 60, label: "Call Outcome", fieldName: "CallOutcome", v2Type: "TEXT", v1Type: "Text", groupID: 6, groupName: "Notes"},
		{id: 62, label: "Follow-up Needed", fieldName: "FollowUp", v2Type: "YES_NO", v1Type: "YesNo", groupID: 6, groupName: "Notes"},
	},
	"tasks": {
		{id: 60, label: "Call Outcome", fieldName: "CallOutcome", v2Type: "TEXT", v1Type: "Text", groupID: 6, groupName: "Notes"},
		{id: 62, label: "Follow-up Needed", fieldName: "FollowUp", v2Type: "YES_NO", v1Type: "YesNo", groupID: 6, groupName: "Notes"},
	},
	"affiliates": {
		{id: 80, label: "Tier", fieldName: "Tier", v2Type: "DROPDOWN", v1Type: "Dropdown", options: []string{"Silver", "Gold", "Platinum"}, groupID: 8, groupName: "Partner"},
		{id: 82, label: "Region", fieldName: "Region", v2Type: "TEXT", v1Type: "Text", groupID: 8, groupName: "Partner"},
	},
	"subscriptions": {
		{id: 70, label: "Contract Number", fieldName: "ContractNumber", v2Type: "TEXT", v1Type: "Text", groupID: 7, groupName: "Subscription"},
		{id: 72, label: "Seats", fieldName: "Seats", v2Type: "WHOLE_NUMBER", v1Type: "WholeNumber", groupID: 7, groupName: "Subscription"},
		{id: 74, label: "Renewal Tier", fieldName: "RenewalTier", v2Type: "DROPDOWN", v1Type: "Dropdown", options: []string{"Bronze", "Silver", "Gold"}, groupID: 7, groupName: "Subscription"},
	},
}

// recordTypes are the CustomFieldMetaData.record_type of each entity.
var recordTypes = map[string]string{
	"contacts": "CONTACT", "companies": "COMPANY", "opportunities": "OPPORTUNITY", "orders": "ORDER",
	"notes": "TASK_NOTE_APPOINTMENT", "tasks": "TASK_NOTE_APPOINTMENT", "subscriptions": "SUBSCRIPTION", "affiliates": "REFERRAL_PARTNER",
}

// optionalProperties are the model endpoints' optional_properties.
var optionalProperties = map[string][]string{
	"contacts":      {"custom_fields", "fax_numbers", "job_title", "leadsource_id", "links", "notes", "origin", "preferred_locale", "referral_code", "social_accounts", "spouse_name", "tag_ids", "time_zone", "utm_parameters", "website"},
	"companies":     {"address", "custom_fields", "email_address", "fax_number", "notes", "phone_number", "create_time", "update_time"},
	"opportunities": {"custom_fields", "created_by", "last_updated_by", "status_id"},
	"orders":        {"custom_fields"},
}

// appendCustomFieldValues appends `[{"id":..,"content":..}]` for a record.
// Values change with the record's version; some are null, as in Keap.
func appendCustomFieldValues(b []byte, defs []customField, r *rnd, v1 bool) []byte {
	b = append(b, '[')
	for i, d := range defs {
		if i > 0 {
			b = append(b, ',')
		}
		var o obj
		o.begin(b)
		if v1 {
			o.int("id", d.id)
		} else {
			o.idStr("id", d.id)
		}
		o.key("content")
		if r.pct(25) {
			o.b = append(o.b, "null"...)
		} else {
			o.b = appendCustomValue(o.b, d, r)
		}
		b = o.end()
	}
	return append(b, ']')
}

func appendCustomValue(b []byte, d customField, r *rnd) []byte {
	switch d.v2Type {
	case "DROPDOWN":
		return appendString(b, r.pick(d.options))
	case "WHOLE_NUMBER":
		return strconv.AppendInt(b, int64(r.n(100000)), 10)
	case "PERCENT":
		return strconv.AppendFloat(b, float64(r.n(10000))/100, 'f', -1, 64)
	case "DATE":
		b = append(b, '"')
		b = strconv.AppendInt(b, int64(2020+r.n(8)), 10)
		b = append(b, '-', '0', byte('1'+r.n(9)), '-', '1', byte('0'+r.n(9)), '"')
		return b
	case "YES_NO":
		return strconv.AppendBool(b, r.pct(50))
	case "TEXT_AREA":
		return appendLongText(b, r)
	}
	return appendText(b, r, 1+r.n(3))
}

// appendModel renders GET /v2/<entity>/model or /v1/<entity>/model.
func appendModel(b []byte, entity string, v1 bool) []byte {
	var o obj
	o.begin(b)
	o.key("custom_fields")
	o.b = append(o.b, '[')
	for i, d := range customFieldSets[entity] {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		var f obj
		f.begin(o.b)
		if v1 {
			f.int("id", d.id)
			f.str("label", d.label)
			f.str("field_name", d.fieldName)
			f.str("field_type", d.v1Type)
			f.str("record_type", recordTypes[entity])
		} else {
			f.idStr("id", d.id)
			f.str("label", d.label)
			f.str("field_name", d.fieldName)
			f.str("field_type", d.v2Type)
			f.str("record_type", recordTypes[entity])
			f.idStr("group_id", d.groupID)
			f.str("group_name", d.groupName)
		}
		if len(d.options) > 0 {
			f.key("options")
			f.b = append(f.b, '[')
			for j, opt := range d.options {
				if j > 0 {
					f.b = append(f.b, ',')
				}
				var op obj
				op.begin(f.b)
				op.str("id", strconv.Itoa(j+1))
				op.str("label", opt)
				f.b = op.end()
			}
			f.b = append(f.b, ']')
		}
		o.b = f.end()
	}
	o.b = append(o.b, ']')
	o.key("optional_properties")
	o.b = append(o.b, '[')
	for i, p := range optionalProperties[entity] {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = appendString(o.b, p)
	}
	o.b = append(o.b, ']')
	return o.end()
}
