package jobs

import (
	"github.com/keapsync/keapsync/warehouse"
)

// contactJSON is a contact as v2 (GET /v2/contacts) or v1 (GET /v1/contacts)
// sends it. Where the versions name a field differently, both names are
// here and the v2 one wins.
type contactJSON struct {
	GivenName       jText         `json:"given_name"`
	MiddleName      jText         `json:"middle_name"`
	FamilyName      jText         `json:"family_name"`
	PreferredName   jText         `json:"preferred_name"`
	Prefix          jText         `json:"prefix"`
	Suffix          jText         `json:"suffix"`
	JobTitle        jText         `json:"job_title"`
	Company         companyRef    `json:"company"`
	CompanyName     jText         `json:"company_name"` // v1
	OwnerID         jInt          `json:"owner_id"`
	ContactType     jText         `json:"contact_type"`
	SourceType      jText         `json:"source_type"`
	LeadsourceID    jInt          `json:"leadsource_id"`
	LeadSourceIDV1  jInt          `json:"lead_source_id"`
	Website         jText         `json:"website"`
	TimeZone        jText         `json:"time_zone"`
	PreferredLocale jText         `json:"preferred_locale"`
	ScoreValue      jText         `json:"score_value"`
	ScoreValueV1    jText         `json:"ScoreValue"`
	ReferralCode    jText         `json:"referral_code"`
	SpouseName      jText         `json:"spouse_name"`
	BirthDate       jDate         `json:"birth_date"`
	BirthdayV1      jDate         `json:"birthday"`
	AnniversaryDate jDate         `json:"anniversary_date"`
	AnniversaryV1   jDate         `json:"anniversary"`
	CreateTime      jTime         `json:"create_time"`
	DateCreatedV1   jTime         `json:"date_created"`
	UpdateTime      jTime         `json:"update_time"`
	LastUpdatedV1   jTime         `json:"last_updated"`
	UpdatedMillisV1 jTime         `json:"last_updated_utc_millis"`
	EmailAddresses  []emailJSON   `json:"email_addresses"`
	EmailOptedInV1  jBool         `json:"email_opted_in"`
	EmailStatusV1   jText         `json:"email_status"`
	PhoneNumbers    []phoneJSON   `json:"phone_numbers"`
	Addresses       []addressJSON `json:"addresses"`
	TagIDs          []jInt        `json:"tag_ids"`
}

// companyRef is the company embedded in a contact.
type companyRef struct {
	ID          jInt  `json:"id"`
	CompanyName jText `json:"company_name"`
}

// idRef is an object referring to another record by id ({"id": "12"}).
type idRef struct {
	ID jInt `json:"id"`
}

// emailJSON is an EmailAddress.
type emailJSON struct {
	Email          jText `json:"email"`
	Field          jText `json:"field"`
	IsOptIn        jBool `json:"is_opt_in"`
	EmailOptStatus jText `json:"email_opt_status"`
	OptInReason    jText `json:"opt_in_reason"`
}

// phoneJSON is a PhoneNumber.
type phoneJSON struct {
	Number     jText `json:"number"`
	NumberE164 jText `json:"number_e164"`
	Extension  jText `json:"extension"`
	Type       jText `json:"type"`
	Field      jText `json:"field"`
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

func mapContact(m *rowMapper, raw []byte) warehouse.TableRow {
	var r contactJSON
	m.decode(raw, &r)
	row := &warehouse.ContactsRow{
		GivenName:       m.text("given_name", &r.GivenName),
		MiddleName:      m.text("middle_name", &r.MiddleName),
		FamilyName:      m.text("family_name", &r.FamilyName),
		PreferredName:   m.text("preferred_name", &r.PreferredName),
		Prefix:          m.text("prefix", &r.Prefix),
		Suffix:          m.text("suffix", &r.Suffix),
		JobTitle:        m.text("job_title", &r.JobTitle),
		OwnerID:         m.bigint("owner_id", &r.OwnerID),
		ContactType:     m.text("contact_type", &r.ContactType),
		SourceType:      m.text("source_type", &r.SourceType),
		Website:         m.text("website", &r.Website),
		TimeZone:        m.text("time_zone", &r.TimeZone),
		PreferredLocale: m.text("preferred_locale", &r.PreferredLocale),
		ReferralCode:    m.text("referral_code", &r.ReferralCode),
		SpouseName:      m.text("spouse_name", &r.SpouseName),
	}
	row.CompanyID = m.bigint("company.id", &r.Company.ID)
	row.CompanyName = m.text("company.company_name", &r.Company.CompanyName)
	if row.CompanyName == nil {
		row.CompanyName = m.text("company_name", &r.CompanyName)
	}
	if r.LeadsourceID.st != absent {
		row.LeadsourceID = m.bigint("leadsource_id", &r.LeadsourceID)
	} else {
		row.LeadsourceID = m.bigint("lead_source_id", &r.LeadSourceIDV1)
	}
	if r.ScoreValue.st != absent {
		row.ScoreValue = m.text("score_value", &r.ScoreValue)
	} else {
		row.ScoreValue = m.text("ScoreValue", &r.ScoreValueV1)
	}
	if r.BirthDate.st != absent {
		row.BirthDate = m.date("birth_date", &r.BirthDate)
	} else {
		row.BirthDate = m.date("birthday", &r.BirthdayV1)
	}
	if r.AnniversaryDate.st != absent {
		row.AnniversaryDate = m.date("anniversary_date", &r.AnniversaryDate)
	} else {
		row.AnniversaryDate = m.date("anniversary", &r.AnniversaryV1)
	}
	if r.CreateTime.st != absent {
		row.CreateTime = m.timestamp("create_time", &r.CreateTime)
	} else {
		row.CreateTime = m.timestamp("date_created", &r.DateCreatedV1)
	}
	switch {
	case r.UpdateTime.st != absent:
		row.UpdateTime = m.timestamp("update_time", &r.UpdateTime)
	case r.LastUpdatedV1.st != absent:
		row.UpdateTime = m.timestamp("last_updated", &r.LastUpdatedV1)
	default:
		row.UpdateTime = m.timestamp("last_updated_utc_millis", &r.UpdatedMillisV1)
	}

	row.EmailAddresses = emailRows(m, "email_addresses", r.EmailAddresses)
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
	row.PhoneNumbers = phoneRows(m, "phone_numbers", r.PhoneNumbers)
	row.Phone = primaryPhone(row.PhoneNumbers)
	row.Addresses = addressRows(m, "addresses", r.Addresses)
	row.Tags = childRows(m, "tag_ids", r.TagIDs, func(id *jInt) warehouse.ContactTagsRow {
		return warehouse.ContactTagsRow{TagID: m.bigint("", id)}
	})
	return row
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

func phoneRows(m *rowMapper, name string, elems []phoneJSON) []warehouse.ContactPhoneNumbersRow {
	return childRows(m, name, elems, func(p *phoneJSON) warehouse.ContactPhoneNumbersRow {
		return warehouse.ContactPhoneNumbersRow{
			Field:      m.text("field", &p.Field),
			Number:     m.text("number", &p.Number),
			NumberE164: m.text("number_e164", &p.NumberE164),
			Extension:  m.text("extension", &p.Extension),
			Type:       m.text("type", &p.Type),
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
