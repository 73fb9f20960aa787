package keapsim

import (
	"strconv"
	"strings"
)

// Property indexes of a v2 contact, in contactsDef.props order.
const (
	cID = iota
	cGivenName
	cFamilyName
	cMiddleName
	cEmailAddresses
	cPhoneNumbers
	cAddresses
	cCompany
	cCreateTime
	cUpdateTime
	cOwnerID
	cPrefix
	cSuffix
	cPreferredName
	cContactType
	cSourceType
	cScoreValue
	cBirthDate
	cAnniversaryDate
	cJobTitle
	cLeadsourceID
	cWebsite
	cTimeZone
	cPreferredLocale
	cSpouseName
	cReferralCode
	cFaxNumbers
	cSocialAccounts
	cOrigin
	cLinks
	cUtmParameters
	cNotes
	cTagIDs
	cCustomFields
	cAccountID
	cAssistantName
	cAssistantPhone
	cBillingInformation
	cCreatedBy
	cGroups
	cLastUpdatedBy
)

const contactProps = `id given_name family_name middle_name email_addresses phone_numbers addresses company
	create_time update_time owner_id prefix suffix preferred_name contact_type source_type score_value
	birth_date anniversary_date job_title leadsource_id website time_zone preferred_locale spouse_name
	referral_code fax_numbers social_accounts origin links utm_parameters notes tag_ids custom_fields
	account_id assistant_name assistant_phone billing_information created_by groups last_updated_by`

// contactSalt and the other salts separate the streams' random sequences.
const (
	contactSalt = 0xC0
	companySalt = 0xC1
)

// contactView is the stable part of a contact (from version 0: people keep
// their names) with the random source for the parts that change.
type contactView struct {
	given, family name
	middle        string
	domain        string
	hasEmail      bool
	v             rnd // changes with the version
}

func (s *Server) contact(r *rec) contactView {
	st := newRnd(s.opts.Seed, contactSalt, r.id, 0)
	c := contactView{
		given:    givenNames[st.n(len(givenNames))],
		family:   familyNames[st.n(len(familyNames))],
		domain:   domains[st.n(len(domains))],
		hasEmail: st.pct(88),
		v:        newRnd(s.opts.Seed, contactSalt, r.id, r.version),
	}
	if st.pct(30) {
		c.middle = middleNames[st.n(len(middleNames))]
	}
	return c
}

func appendEmail(b []byte, c *contactView, id int64) []byte {
	b = append(b, '"')
	b = append(b, c.given.slug...)
	b = append(b, '.')
	b = append(b, c.family.slug...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, '@')
	b = append(b, c.domain...)
	return append(b, '"')
}

func (s *Server) contactEmail(r *rec) string {
	c := s.contact(r)
	if !c.hasEmail {
		return ""
	}
	e := appendEmail(nil, &c, r.id)
	return string(e[1 : len(e)-1])
}

// refID picks the id of a generated record of another stream, or 0 when it
// has none.
func (s *Server) refID(stream string, rn *rnd) int64 {
	t := s.tables[stream]
	if t == nil || t.genCount == 0 {
		return 0
	}
	return t.def.genID(rn.n(t.genCount))
}

func (s *Server) companyName(id int64) string {
	r := newRnd(s.opts.Seed, companySalt, id, 0)
	n := r.pick(companyWords)
	if sfx := r.pick(companySuffix); sfx != "" {
		n += " " + sfx
	}
	return n
}

var sourceTypes = []string{"API", "IMPORT", "MANUAL", "WEBFORM", "LANDING_PAGE", "INTERNAL_FORM"}
var contactTypes = []string{"Lead", "Customer", "Other", "Prospect"}

func renderContactV2(s *Server, o *obj, r *rec, f fieldMask) {
	c := s.contact(r)
	if f.has(cID) {
		o.idStr("id", r.id)
	}
	if f.has(cGivenName) {
		o.str("given_name", c.given.display)
	}
	if f.has(cFamilyName) {
		o.str("family_name", c.family.display)
	}
	if f.has(cMiddleName) {
		o.strOpt("middle_name", c.middle)
	}
	if f.has(cEmailAddresses) {
		o.key("email_addresses")
		o.b = append(o.b, '[')
		if c.hasEmail {
			o.b = append(o.b, `{"email":`...)
			o.b = appendEmail(o.b, &c, r.id)
			o.b = append(o.b, `,"field":"EMAIL1","is_opt_in":`...)
			opt := c.optedIn()
			o.b = strconv.AppendBool(o.b, opt)
			if opt {
				o.b = append(o.b, `,"email_opt_status":"SINGLE_OPT_IN"}`...)
			} else {
				o.b = append(o.b, `,"email_opt_status":"UNENGAGED_NON_MARKETABLE"}`...)
			}
		}
		o.b = append(o.b, ']')
	}
	if f.has(cPhoneNumbers) {
		o.key("phone_numbers")
		o.b = c.appendPhones(o.b)
	}
	if f.has(cAddresses) {
		o.key("addresses")
		o.b = c.appendAddresses(o.b)
	}
	if f.has(cCompany) {
		if id := c.companyID(s); id != 0 {
			o.key("company")
			var co obj
			co.begin(o.b)
			co.idStr("id", id)
			co.str("company_name", s.companyName(id))
			o.b = co.end()
		}
	}
	if f.has(cCreateTime) {
		o.timeV2("create_time", r.created)
	}
	if f.has(cUpdateTime) {
		o.timeV2("update_time", r.updated)
	}
	owner := c.ownerID(s)
	if f.has(cOwnerID) && owner != 0 {
		o.idStr("owner_id", owner)
	}
	if f.has(cPrefix) && c.chance(cPrefix, 10) {
		o.str("prefix", "Dr.")
	}
	if f.has(cSuffix) && c.chance(cSuffix, 5) {
		o.str("suffix", "Jr.")
	}
	if f.has(cPreferredName) && c.chance(cPreferredName, 15) {
		o.str("preferred_name", c.given.display)
	}
	if f.has(cContactType) {
		if v := c.f(cContactType); v.pct(80) {
			o.str("contact_type", v.pick(contactTypes))
		}
	}
	if f.has(cSourceType) {
		v := c.f(cSourceType)
		o.str("source_type", v.pick(sourceTypes))
	}
	if f.has(cScoreValue) {
		if score, ok := c.score(); ok {
			o.str("score_value", score)
		}
	}
	if f.has(cBirthDate) {
		if v := c.f(cBirthDate); v.pct(20) {
			o.str("birth_date", strconv.Itoa(1950+v.n(50))+"-0"+strconv.Itoa(1+v.n(9))+"-1"+strconv.Itoa(v.n(9)))
		}
	}
	if f.has(cAnniversaryDate) {
		if v := c.f(cAnniversaryDate); v.pct(5) {
			o.str("anniversary_date", "2015-06-1"+strconv.Itoa(v.n(9)))
		}
	}
	if f.has(cJobTitle) {
		if t := c.jobTitle(); t != "" {
			o.str("job_title", t)
		}
	}
	if f.has(cLeadsourceID) {
		if id := c.leadSource(); id != 0 {
			o.idStr("leadsource_id", id)
		}
	}
	if f.has(cWebsite) {
		if w := c.website(); w != "" {
			o.str("website", w)
		}
	}
	if f.has(cTimeZone) {
		if tz := c.timeZone(); tz != "" {
			o.str("time_zone", tz)
		}
	}
	if f.has(cPreferredLocale) && c.chance(cPreferredLocale, 60) {
		o.str("preferred_locale", "en_US")
	}
	if f.has(cSpouseName) {
		if n := c.spouse(); n != "" {
			o.str("spouse_name", n)
		}
	}
	if f.has(cReferralCode) {
		if v := c.f(cReferralCode); v.pct(5) {
			o.str("referral_code", "REF"+strconv.Itoa(v.n(100000)))
		}
	}
	if f.has(cFaxNumbers) {
		o.key("fax_numbers")
		o.b = c.appendFaxes(o.b)
	}
	if f.has(cSocialAccounts) {
		o.key("social_accounts")
		o.b = append(o.b, '[')
		if c.chance(cSocialAccounts, 10) {
			o.b = append(o.b, `{"name":`...)
			o.b = appendString(o.b, c.given.slug+c.family.slug)
			o.b = append(o.b, `,"type":"LINKED_IN"}`...)
		}
		o.b = append(o.b, ']')
	}
	if f.has(cOrigin) {
		if v := c.f(cOrigin); v.pct(30) {
			o.key("origin")
			o.b = append(o.b, `{"date":`...)
			o.b = appendTimeV2(o.b, r.created)
			o.b = append(o.b, `,"ip_address":"203.0.113.`...)
			o.b = strconv.AppendInt(o.b, int64(1+v.n(254)), 10)
			o.b = append(o.b, `"}`...)
		}
	}
	if f.has(cLinks) {
		o.raw("links", []byte("[]"))
	}
	if f.has(cUtmParameters) {
		o.raw("utm_parameters", []byte("[]"))
	}
	if f.has(cNotes) {
		if v := c.f(cNotes); v.pct(20) {
			o.key("notes")
			o.b = appendLongText(o.b, &v)
		}
	}
	if f.has(cTagIDs) {
		o.key("tag_ids")
		v := c.f(cTagIDs)
		o.b = s.appendTagIDs(o.b, &v, false)
	}
	if f.has(cCustomFields) {
		o.key("custom_fields")
		v := c.f(cCustomFields)
		o.b = appendCustomFieldValues(o.b, customFieldSets["contacts"], &v, false)
	}
	if f.has(cCreatedBy) && owner != 0 {
		o.idStr("created_by", owner)
	}
	if f.has(cLastUpdatedBy) && owner != 0 {
		o.idStr("last_updated_by", owner)
	}
}

// f returns the random source of one property. Each property draws from its
// own source, so a property's value does not depend on which other
// properties a request asked for, and v1 and v2 agree.
func (c *contactView) f(prop int) rnd { return c.v.sub(uint64(prop)) }

func (c *contactView) chance(prop, pct int) bool {
	v := c.f(prop)
	return v.pct(pct)
}

func (c *contactView) optedIn() bool { return c.chance(cEmailAddresses, 60) }

func (c *contactView) appendPhones(b []byte) []byte {
	v := c.f(cPhoneNumbers)
	b = append(b, '[')
	if v.pct(60) {
		b = append(b, `{"number":`...)
		b = appendPhone(b, &v)
		b = append(b, `,"field":"PHONE1","type":"Work"}`...)
	}
	return append(b, ']')
}

func (c *contactView) appendFaxes(b []byte) []byte {
	v := c.f(cFaxNumbers)
	b = append(b, '[')
	if v.pct(5) {
		b = append(b, `{"number":`...)
		b = appendPhone(b, &v)
		b = append(b, `,"field":"FAX1","type":"Work"}`...)
	}
	return append(b, ']')
}

func (c *contactView) appendAddresses(b []byte) []byte {
	v := c.f(cAddresses)
	b = append(b, '[')
	if v.pct(50) {
		city := cities[v.n(len(cities))]
		var a obj
		a.begin(b)
		a.key("line1")
		a.b = append(a.b, '"')
		a.b = strconv.AppendInt(a.b, int64(1+v.n(9999)), 10)
		a.b = append(a.b, ' ')
		a.b = appendEscaped(a.b, c.family.display)
		a.b = append(a.b, ` St."`...)
		a.str("locality", city.display)
		a.strOpt("region", city.slug)
		a.key("postal_code")
		a.b = append(a.b, '"')
		a.b = strconv.AppendInt(a.b, int64(10000+v.n(90000)), 10)
		a.b = append(a.b, '"')
		a.str("country_code", countries[v.n(len(countries))])
		a.str("field", "BILLING")
		b = a.end()
	}
	return append(b, ']')
}

func (c *contactView) companyID(s *Server) int64 {
	v := c.f(cCompany)
	if !v.pct(40) {
		return 0
	}
	return s.refID("companies", &v)
}

func (c *contactView) ownerID(s *Server) int64 {
	v := c.f(cOwnerID)
	if !v.pct(70) {
		return 0
	}
	return s.refID("users", &v)
}

func (c *contactView) score() (string, bool) {
	v := c.f(cScoreValue)
	if !v.pct(50) {
		return "", false
	}
	return strconv.Itoa(v.n(100)), true
}

func (c *contactView) jobTitle() string {
	if v := c.f(cJobTitle); v.pct(40) {
		return v.pick(jobTitles)
	}
	return ""
}

func (c *contactView) leadSource() int64 {
	if v := c.f(cLeadsourceID); v.pct(30) {
		return int64(1 + v.n(9))
	}
	return 0
}

func (c *contactView) website() string {
	if c.chance(cWebsite, 20) {
		return "https://www." + c.family.slug + ".example.com"
	}
	return ""
}

func (c *contactView) timeZone() string {
	if v := c.f(cTimeZone); v.pct(50) {
		return v.pick(timeZones)
	}
	return ""
}

func (c *contactView) spouse() string {
	if v := c.f(cSpouseName); v.pct(5) {
		return givenNames[v.n(len(givenNames))].display
	}
	return ""
}

// appendTagIDs appends the ids of the tags applied to a contact: zero to
// five tags, changing with the contact's version.
func (s *Server) appendTagIDs(b []byte, v *rnd, v1 bool) []byte {
	b = append(b, '[')
	n := v.n(6)
	if t := s.tables["tags"]; t == nil || t.genCount == 0 {
		n = 0
	}
	var last int64 = -1
	first := true
	for i := 0; i < n; i++ {
		id := s.refID("tags", v)
		if id <= last {
			continue // keep ids unique and ascending
		}
		last = id
		if !first {
			b = append(b, ',')
		}
		first = false
		if v1 {
			b = strconv.AppendInt(b, id, 10)
		} else {
			b = appendIDString(b, id)
		}
	}
	return append(b, ']')
}

func contactsDef() *streamDef {
	d := &streamDef{
		name: "contacts", path: "/v2/contacts", key: "contacts", maxPage: 1000,
		salt: contactSalt, firstID: 1, scale: func(n int) int { return n }, spanDays: 6 * 365,
		timeFilters: map[string]timeFilter{"start_update_time": tf(false, false), "end_update_time": tf(false, true)},
		idFilters:   map[string]bool{"contact_id": false},
		listFilters: map[string]bool{"ids": true, "contact_ids": true},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"email":       func(s *Server, r *rec) string { return s.contactEmail(r) },
			"given_name":  func(s *Server, r *rec) string { return s.contact(r).given.display },
			"family_name": func(s *Server, r *rec) string { return s.contact(r).family.display },
			"middle_name": func(s *Server, r *rec) string { return s.contact(r).middle },
		},
		orders: map[string]orderSpec{
			"id": {}, "create_time": {}, "update_time": {byUpdate: true},
			"email": {key: func(s *Server, r *rec) string { return strings.ToLower(s.contactEmail(r)) }},
		},
		props:      propsOf(contactProps),
		projection: true,
		render:     renderContactV2,
	}
	d.defaults = d.mask("id", "given_name", "family_name", "middle_name", "email_addresses", "phone_numbers",
		"addresses", "company", "create_time", "update_time", "owner_id", "prefix", "suffix", "preferred_name",
		"contact_type", "source_type", "score_value", "birth_date", "anniversary_date")
	return d
}

// v1 contact optional properties, by v1 name.
const (
	c1Base = iota
	c1CustomFields
	c1JobTitle
	c1LeadSourceID
	c1Website
	c1TimeZone
	c1SpouseName
	c1FaxNumbers
)

var emailStatuses = []string{"NonMarketable", "SingleOptIn", "UnengagedMarketable", "Confirmed", "HardBounce"}

// renderContactV1 follows a recorded real v1 list record: tag_ids in the
// list, ScoreValue capitalised and often null, last_updated_utc_millis.
// Its values are the same as the v2 rendering of the same contact.
func renderContactV1(s *Server, o *obj, r *rec, f fieldMask) {
	c := s.contact(r)
	o.int("id", r.id)
	o.key("tag_ids")
	tv := c.f(cTagIDs)
	o.b = s.appendTagIDs(o.b, &tv, true)
	if id := c.companyID(s); id != 0 {
		o.key("company")
		var co obj
		co.begin(o.b)
		co.int("id", id)
		co.str("company_name", s.companyName(id))
		o.b = co.end()
	}
	optedIn := c.optedIn()
	o.bool("email_opted_in", optedIn)
	if optedIn {
		o.str("email_status", "SingleOptIn")
	} else {
		v := c.f(cEmailAddresses)
		o.str("email_status", emailStatuses[v.n(len(emailStatuses))])
	}
	o.timeV1("date_created", r.created)
	o.timeV1("last_updated", r.updated)
	if score, ok := c.score(); ok {
		o.str("ScoreValue", score)
	} else {
		o.null("ScoreValue")
	}
	o.int("last_updated_utc_millis", r.updated)
	o.key("email_addresses")
	o.b = append(o.b, '[')
	if c.hasEmail {
		o.b = append(o.b, `{"email":`...)
		o.b = appendEmail(o.b, &c, r.id)
		o.b = append(o.b, `,"field":"EMAIL1"}`...)
	}
	o.b = append(o.b, ']')
	o.key("addresses")
	o.b = c.appendAddresses(o.b)
	o.key("phone_numbers")
	o.b = c.appendPhones(o.b)
	o.str("given_name", c.given.display)
	o.str("family_name", c.family.display)
	o.strOpt("middle_name", c.middle)
	if owner := c.ownerID(s); owner != 0 {
		o.int("owner_id", owner)
	}
	if f.has(c1CustomFields) {
		o.key("custom_fields")
		v := c.f(cCustomFields)
		o.b = appendCustomFieldValues(o.b, customFieldSets["contacts"], &v, true)
	}
	if f.has(c1JobTitle) {
		if t := c.jobTitle(); t != "" {
			o.str("job_title", t)
		}
	}
	if f.has(c1LeadSourceID) {
		if id := c.leadSource(); id != 0 {
			o.int("lead_source_id", id)
		}
	}
	if f.has(c1Website) {
		if w := c.website(); w != "" {
			o.str("website", w)
		}
	}
	if f.has(c1TimeZone) {
		if tz := c.timeZone(); tz != "" {
			o.str("time_zone", tz)
		}
	}
	if f.has(c1SpouseName) {
		if n := c.spouse(); n != "" {
			o.str("spouse_name", n)
		}
	}
	if f.has(c1FaxNumbers) {
		o.key("fax_numbers")
		o.b = c.appendFaxes(o.b)
	}
}

func contactsV1Def() *streamDef {
	d := &streamDef{
		name: "contacts", path: "/v1/contacts", key: "contacts", v1: true, maxPage: 1000,
		timeFilters: map[string]timeFilter{"since": tf(false, false), "until": tf(false, true)},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"email":       func(s *Server, r *rec) string { return s.contactEmail(r) },
			"given_name":  func(s *Server, r *rec) string { return s.contact(r).given.display },
			"family_name": func(s *Server, r *rec) string { return s.contact(r).family.display },
		},
		v1Orders: map[string]orderSpec{
			"id": {}, "date_created": {}, "last_updated": {byUpdate: true},
			"email":     {key: func(s *Server, r *rec) string { return strings.ToLower(s.contactEmail(r)) }},
			"name":      {key: func(s *Server, r *rec) string { c := s.contact(r); return c.family.display + " " + c.given.display }},
			"firstName": {key: func(s *Server, r *rec) string { return s.contact(r).given.display }},
		},
		props:  []string{"", "custom_fields", "job_title", "lead_source_id", "website", "time_zone", "spouse_name", "fax_numbers"},
		render: renderContactV1,
	}
	d.optional = d.all() &^ 1
	d.defaults = 1
	return d
}
