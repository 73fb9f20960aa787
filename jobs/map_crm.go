package jobs

import (
	"encoding/json"

	"github.com/keapsync/keapsync/warehouse"
)

// The CRM streams besides contacts: users, tags and their categories,
// companies, notes, tasks and campaigns.

// usersExtra are the fields of a user its hook reads besides its
// columns'.
type usersExtra struct {
	EmailAddresses []emailJSON `json:"email_addresses"`
	EmailAddress   jText       `json:"email_address"` // v1
}

// usersHook fills the user's email: the primary of v2's list, else v1's.
func usersHook(m *rowMapper, r *usersRecord, row *warehouse.UsersRow) {
	row.Email = primaryEmail(emailRows(m, "email_addresses", r.EmailAddresses))
	if row.Email == nil {
		row.Email = m.text("email_address", &r.EmailAddress)
	}
}

// emailOrString is v2's EmailAddress object or v1's plain address.
type emailOrString struct {
	email jText // the address, from either shape
	isObj bool
}

func (e *emailOrString) UnmarshalJSON(b []byte) error {
	if b[0] != '{' {
		return e.email.UnmarshalJSON(b)
	}
	e.isObj = true
	var obj struct {
		Email jText `json:"email"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		invalidValue(&e.email.st, &e.email.why, "not an email address", b)
		return nil
	}
	e.email = obj.Email
	return nil
}

// companiesExtra are the fields of a company its hook reads besides its
// columns'.
type companiesExtra struct {
	EmailAddress emailOrString `json:"email_address"`
	Address      addressJSON   `json:"address"`
}

// companiesHook fills the company's email (v2's object or v1's string) and
// address.
func companiesHook(m *rowMapper, r *companiesRecord, row *warehouse.CompaniesRow) {
	if r.EmailAddress.isObj {
		row.Email = m.text("email_address.email", &r.EmailAddress.email)
	} else {
		row.Email = m.text("email_address", &r.EmailAddress.email)
	}
	row.Locality = m.text("address.locality", &r.Address.Locality)
	row.Region = m.text("address.region", &r.Address.Region)
	row.CountryCode = m.text("address.country_code", &r.Address.CountryCode)
	row.PostalCode = postalCode(m, "address.", &r.Address)
}
