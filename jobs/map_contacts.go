package jobs

import (
	"github.com/keapsync/keapsync/warehouse"
)

// The contact's columns are read from the paths of their json notes
// (map_gen.go); where v1 and v2 name a field differently, both are there
// and the v2 one wins. The hook fills what paths cannot say.

// contactsExtra are the fields of a contact its hook reads besides its
// columns'.
type contactsExtra struct {
	EmailOptedInV1 jBool         `json:"email_opted_in"`
	EmailStatusV1  jText         `json:"email_status"`
	Addresses      []addressJSON `json:"addresses"`
	TagIDs         []jInt        `json:"tag_ids"`
}

// contactsHook completes a contact: v1's opt-in of the primary address,
// the primary email and phone, the addresses (postal or zip codes) and the
// tag memberships.
func contactsHook(m *rowMapper, r *contactsRecord, row *warehouse.ContactsRow) {
	// v1 reports the opt-in of the primary address on the contact.
	optIn := m.boolean("email_opted_in", &r.EmailOptedInV1)
	optStatus := m.text("email_status", &r.EmailStatusV1)
	for i := range row.EmailAddresses {
		e := &row.EmailAddresses[i]
		if e.Field != nil && *e.Field == "EMAIL1" {
			if e.IsOptIn == nil {
				e.IsOptIn = optIn
			}
			if e.EmailOptStatus == nil {
				e.EmailOptStatus = optStatus
			}
		}
	}
	row.Email = primaryEmail(row.EmailAddresses)
	row.Phone = primaryPhone(row.PhoneNumbers)
	row.Addresses = addressRows(m, "addresses", r.Addresses)
	row.Tags = childRows(m, "tag_ids", r.TagIDs, func(id *jInt) warehouse.ContactTagsRow {
		return warehouse.ContactTagsRow{TagID: m.bigint("", id)}
	})
}

// emailJSON is an EmailAddress.
type emailJSON struct {
	Email          jText `json:"email"`
	Field          jText `json:"field"`
	IsOptIn        jBool `json:"is_opt_in"`
	EmailOptStatus jText `json:"email_opt_status"`
	OptInReason    jText `json:"opt_in_reason"`
}

// addressJSON is an Address. v1 and some v2 records carry a US zip code
// (zip_code, zip_four) instead of postal_code.
type addressJSON struct {
	Field       jText `json:"field"`
	Line1       jText `json:"line1"`
	Line2       jText `json:"line2"`
	Locality    jText `json:"locality"`
	Region      jText `json:"region"`
	RegionCode  jText `json:"region_code"`
	PostalCode  jText `json:"postal_code"`
	ZipCode     jText `json:"zip_code"`
	ZipFour     jText `json:"zip_four"`
	CountryCode jText `json:"country_code"`
}

func emailRows(m *rowMapper, name string, elems []emailJSON) []warehouse.ContactEmailAddressesRow {
	return childRows(m, name, elems, func(e *emailJSON) warehouse.ContactEmailAddressesRow {
		return warehouse.ContactEmailAddressesRow{
			Field:          m.text("field", &e.Field),
			Email:          m.text("email", &e.Email),
			IsOptIn:        m.boolean("is_opt_in", &e.IsOptIn),
			EmailOptStatus: m.text("email_opt_status", &e.EmailOptStatus),
			OptInReason:    m.text("opt_in_reason", &e.OptInReason),
		}
	})
}

func addressRows(m *rowMapper, name string, elems []addressJSON) []warehouse.ContactAddressesRow {
	return childRows(m, name, elems, func(a *addressJSON) warehouse.ContactAddressesRow {
		return warehouse.ContactAddressesRow{
			Field:       m.text("field", &a.Field),
			Line1:       m.text("line1", &a.Line1),
			Line2:       m.text("line2", &a.Line2),
			Locality:    m.text("locality", &a.Locality),
			Region:      m.text("region", &a.Region),
			RegionCode:  m.text("region_code", &a.RegionCode),
			PostalCode:  postalCode(m, "", a),
			CountryCode: m.text("country_code", &a.CountryCode),
		}
	})
}

// postalCode is the address's postal code, else its zip code with the
// zip+4 extension when there is one; prefix is the address's path.
func postalCode(m *rowMapper, prefix string, a *addressJSON) *string {
	if a.PostalCode.st != absent {
		return m.text(prefix+"postal_code", &a.PostalCode)
	}
	zip := m.text(prefix+"zip_code", &a.ZipCode)
	four := m.text(prefix+"zip_four", &a.ZipFour)
	if zip == nil || four == nil || *four == "" {
		return zip
	}
	s := *zip + "-" + *four
	return &s
}

// primaryEmail is EMAIL1's address, else the first address.
func primaryEmail(rows []warehouse.ContactEmailAddressesRow) *string {
	var first *string
	for i := range rows {
		e := rows[i]
		if e.Email == nil {
			continue
		}
		if e.Field != nil && *e.Field == "EMAIL1" {
			return e.Email
		}
		if first == nil {
			first = e.Email
		}
	}
	return first
}

// primaryPhone is PHONE1's number, else the first number.
func primaryPhone(rows []warehouse.ContactPhoneNumbersRow) *string {
	var first *string
	for i := range rows {
		p := rows[i]
		if p.Number == nil {
			continue
		}
		if p.Field != nil && *p.Field == "PHONE1" {
			return p.Number
		}
		if first == nil {
			first = p.Number
		}
	}
	return first
}
