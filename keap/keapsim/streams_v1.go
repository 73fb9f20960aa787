package keapsim

import (
	"strconv"
	"strings"
)

// The v1 list endpoints. The catalogue reads only transactions from v1;
// the others serve the same records as their v2 streams, for counting
// (limit=1 and the count field: the total number of matches) and for
// anyone comparing the versions. Each renders the v1 list record of its
// spec schema, drawing its values from the same random sources as the v2
// rendering, so both versions show the same record: where the two schemas
// differ only in names and formats, with the v2 stream's render itself
// (apiV1.renderTask; see apiVersion). Query parameters the
// spec lists are honoured where they narrow the data the simulator has
// (since/until, simple equality filters, the order values mapped in
// v1Orders); an order value not mapped gets a 400, other parameters are
// ignored.
func v1Defs() []*streamDef {
	return []*streamDef{
		contactsV1Def(), transactionsDef(), companiesV1Def(), ordersV1Def(), tasksV1Def(), notesV1Def(),
		opportunitiesV1Def(), productsV1Def(), subscriptionsV1Def(), tagsV1Def(), usersV1Def(), campaignsV1Def(), emailsV1Def(),
	}
}

// v1Since are the since/until parameters of the v1 lists that take them,
// bounding the update time (the spec says only "Date to start searching
// from"; contacts' since is documented on LastUpdated).
func v1Since() map[string]timeFilter {
	return map[string]timeFilter{"since": tf(false, false), "until": tf(false, true)}
}

// appendContactSummaryV1 renders the contact v1 embeds in orders, tasks
// and opportunities: {"id","first_name","last_name","email"}.
func (s *Server) appendContactSummaryV1(b []byte, id int64) []byte {
	var c obj
	c.begin(b)
	c.int("id", id)
	if t := s.tables["contacts"]; t != nil {
		if i, ok := t.find(id); ok {
			r := &t.recs[i]
			cv := s.contact(r)
			c.str("first_name", cv.given.display)
			c.str("last_name", cv.family.display)
			if e := s.contactEmail(r); e != "" {
				c.str("email", e)
			}
		}
	}
	return c.end()
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }

// ---- companies ----

// v1 company optional properties, by v1 name.
const (
	co1Base = iota
	co1Notes
	co1FaxNumber
	co1CustomFields
)

// renderCompanyV1 draws each property as renderCompany does, so both
// versions show the same company.
func renderCompanyV1(s *Server, o *obj, r *rec, f fieldMask) {
	base := varying(s, companySalt, r)
	p := func(k int) rnd { return base.sub(uint64(k)) }
	o.int("id", r.id)
	o.str("company_name", s.companyName(r.id))
	if v := p(coAddress); v.pct(70) {
		o.key("address")
		o.b = apiV1.appendCompanyAddress(o.b, &v)
	}
	if v := p(coEmailAddress); v.pct(80) {
		o.str("email_address", s.companyEmail(r.id))
		optedIn := v.pct(60)
		o.bool("email_opted_in", optedIn)
		if optedIn {
			o.str("email_status", "SingleOptIn")
		} else {
			o.str("email_status", "UnengagedNonMarketable")
		}
	}
	if v := p(coPhoneNumber); v.pct(70) {
		o.key("phone_number")
		o.b = apiV1.appendCompanyPhone(o.b, &v, "PHONE1")
	}
	if v := p(coWebsite); v.pct(60) {
		o.str("website", "https://company"+strconv.FormatInt(r.id, 10)+".example.com")
	}
	if v := p(coNotes); f.has(co1Notes) && v.pct(30) {
		o.key("notes")
		o.b = appendLongText(o.b, &v)
	}
	if v := p(coFaxNumber); f.has(co1FaxNumber) && v.pct(10) {
		o.key("fax_number")
		o.b = apiV1.appendCompanyPhone(o.b, &v, "FAX1")
	}
	if f.has(co1CustomFields) {
		v := p(coCustomFields)
		o.key("custom_fields")
		o.b = appendCustomFieldValues(o.b, customFieldSets["companies"], &v, true)
	}
}

func companiesV1Def() *streamDef {
	d := &streamDef{
		name: "companies", path: "/v1/companies", key: "companies", v1: true, maxPage: 1000,
		eqFilters: map[string]func(s *Server, r *rec) string{
			"company_name": func(s *Server, r *rec) string { return s.companyName(r.id) },
		},
		v1Orders: map[string]orderSpec{
			"id": {}, "date_created": {},
			"name":  idKey(func(s *Server, r *rec) string { return strings.ToLower(s.companyName(r.id)) }),
			"email": idKey(func(s *Server, r *rec) string { return s.companyEmail(r.id) }),
		},
		props:  []string{"", "notes", "fax_number", "custom_fields"},
		render: renderCompanyV1,
	}
	d.optional = d.all() &^ 1
	d.defaults = 1
	return d
}

// ---- tasks ----

func tasksV1Def() *streamDef {
	return additive(&streamDef{
		name: "tasks", path: "/v1/tasks", key: "tasks", v1: true, maxPage: 1000,
		timeFilters: v1Since(),
		eqFilters: map[string]func(s *Server, r *rec) string{
			"contact_id": func(s *Server, r *rec) string { return idString(s.taskContact(r)) },
			"completed":  func(s *Server, r *rec) string { return strconv.FormatBool(s.taskCompleted(r)) },
		},
		render: apiV1.renderTask,
	}, "id")
}

// ---- notes ----

func notesV1Def() *streamDef {
	return additive(&streamDef{
		name: "notes", path: "/v1/notes", key: "notes", v1: true, maxPage: 1000,
		eqFilters: map[string]func(s *Server, r *rec) string{
			"contact_id": func(s *Server, r *rec) string { return idString(s.noteContact(r)) },
		},
		render: apiV1.renderNote,
	}, "id")
}

// ---- opportunities ----

func opportunitiesV1Def() *streamDef {
	return additive(&streamDef{
		name: "opportunities", path: "/v1/opportunities", key: "opportunities", v1: true, maxPage: 1000,
		v1Orders: map[string]orderSpec{
			"date_created":     {},
			"opportunity_name": idKey(func(s *Server, r *rec) string { return strings.ToLower(s.opportunityTitle(r)) }),
		},
		render: apiV1.renderOpportunity,
	}, "id")
}

// ---- tags ----

func tagsV1Def() *streamDef {
	return additive(&streamDef{
		name: "tags", path: "/v1/tags", key: "tags", v1: true, maxPage: 1000,
		eqFilters: map[string]func(s *Server, r *rec) string{
			"name":     func(s *Server, r *rec) string { return s.tagName(r) },
			"category": func(s *Server, r *rec) string { return idString(s.tagCategory(r)) },
		},
		render: apiV1.renderTag,
	}, "id")
}

// ---- users ----

var userStatusesV1 = map[string]string{"ACTIVE": "Active", "INVITED": "Invited", "INACTIVE": "Inactive"}

// renderUserV1 shows the user renderUser shows, in v1's shape.
func renderUserV1(s *Server, o *obj, r *rec, _ fieldMask) {
	u := s.user(r)
	o.int("id", r.id)
	o.str("given_name", u.given.display)
	o.str("family_name", u.family.display)
	o.str("email_address", u.given.slug+"."+strconv.FormatInt(r.id, 10)+"@keap-tenant.example.com")
	o.str("status", userStatusesV1[u.status])
	o.bool("partner", false)
	o.int("global_user_id", 90_000_000+r.id)
	o.str("company_name", "Keapsim Demo Co.")
	o.timeV1("date_created", r.created)
	o.timeV1("last_updated", r.updated)
	o.raw("phone_numbers", []byte("[]"))
	o.raw("fax_numbers", []byte("[]"))
}

func usersV1Def() *streamDef {
	return additive(&streamDef{
		name: "users", path: "/v1/users", key: "users", v1: true, maxPage: 1000,
		// Accepted; the simulator has no partners and lists inactive users
		// either way.
		anyValue: map[string]bool{"include_inactive": true, "include_partners": true},
		render:   renderUserV1,
	}, "id")
}

// ---- campaigns ----

func campaignsV1Def() *streamDef {
	return additive(&streamDef{
		name: "campaigns", path: "/v1/campaigns", key: "campaigns", v1: true, maxPage: 1000,
		eqFilters: map[string]func(s *Server, r *rec) string{"search_text": func(s *Server, r *rec) string { return campaignName(r) }},
		contains:  map[string]bool{"search_text": true},
		v1Orders: map[string]orderSpec{
			"id": {}, "date_created": {},
			"name": idKey(func(s *Server, r *rec) string { return campaignName(r) }),
		},
		render: apiV1.renderCampaign,
	}, "id")
}
