package keapsim

import (
	"strconv"
	"strings"
)

const (
	userSalt = 0xD0 + iota
	tagCategorySalt
	tagSalt
	productSalt
	opportunitySalt
	orderSalt
	subscriptionSalt
	paymentSalt
	noteSalt
	taskSalt
	campaignSalt
	transactionSalt
	opportunityStageSalt
	leadSourceCategorySalt
	leadSourceSalt
	productCategorySalt
	contactLinkTypeSalt
	stageMoveSalt
	emailSalt
	affiliateSalt
	affiliateSummarySalt
	commissionProgramSalt
	affiliateRedirectSalt
	referralSalt
	userGroupSalt
	automationCategorySalt
	automationSalt
	merchantSalt
	webformSalt
	emailTemplateSalt
	shippingMethodSalt
)

func v2Defs() []*streamDef {
	return []*streamDef{
		usersDef(), tagCategoriesDef(), tagsDef(), leadSourceCategoriesDef(), leadSourcesDef(), contactLinkTypesDef(), companiesDef(), contactsDef(),
		productCategoriesDef(), productsDef(),
		opportunityStagesDef(), opportunitiesDef(), stageMovesDef(), ordersDef(), subscriptionsDef(), paymentsDef(), notesDef(), tasksDef(), campaignsDef(), emailsDef(),
		affiliatesDef(), affiliateSummariesDef(), commissionProgramsDef(), affiliateRedirectsDef(), referralsDef(),
		userGroupsDef(), automationCategoriesDef(), automationsDef(), merchantsDef(), webformsDef(), emailTemplatesDef(),
		shippingMethodsDef(),
	}
}

// additive finishes a definition whose fields parameter adds optional
// properties to the default ones.
func additive(d *streamDef, props string, optional ...string) *streamDef {
	d.props = propsOf(props)
	d.optional = d.mask(optional...)
	d.defaults = d.all() &^ d.optional
	return d
}

func idKey(get func(s *Server, r *rec) string) orderSpec { return orderSpec{key: get} }

// stable is the random source of a record's content that never changes;
// varying changes with every update.
func stable(s *Server, salt uint64, r *rec) rnd { return newRnd(s.opts.Seed, salt, r.id, 0) }

func varying(s *Server, salt uint64, r *rec) rnd { return newRnd(s.opts.Seed, salt, r.id, r.version) }

// ---- users ----

var userStatuses = []string{"ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "INVITED", "INACTIVE"}

type userView struct {
	given, family name
	status        string
	admin         bool
}

func (s *Server) user(r *rec) userView {
	st := stable(s, userSalt, r)
	v := varying(s, userSalt, r)
	return userView{
		given: givenNames[st.n(len(givenNames))], family: familyNames[st.n(len(familyNames))],
		status: v.pick(userStatuses), admin: st.pct(20),
	}
}

func renderUser(s *Server, o *obj, r *rec, _ fieldMask) {
	u := s.user(r)
	o.idStr("id", r.id)
	o.str("given_name", u.given.display)
	o.str("family_name", u.family.display)
	o.key("email_addresses")
	o.b = append(o.b, `[{"email":"`...)
	o.b = append(o.b, u.given.slug...)
	o.b = append(o.b, '.')
	o.b = strconv.AppendInt(o.b, r.id, 10)
	o.b = append(o.b, `@keap-tenant.example.com","field":"EMAIL1"}]`...)
	o.str("status", u.status)
	o.bool("admin", u.admin)
	o.bool("partner", false)
	o.idStr("global_user_id", 90_000_000+r.id)
	o.str("company_name", "Keapsim Demo Co.")
	o.timeV2("create_time", r.created)
	o.timeV2("update_time", r.updated)
}

func usersDef() *streamDef {
	return additive(&streamDef{
		name: "users", path: "/v2/users", key: "users", maxPage: 100, minPage: 1,
		salt: userSalt, firstID: 1, scale: func(n int) int { return max(3, min(250, 5+n/1000)) }, spanDays: 8 * 365,
		listFilters: map[string]bool{"user_ids": true},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"email": func(s *Server, r *rec) string {
				return s.user(r).given.slug + "." + strconv.FormatInt(r.id, 10) + "@keap-tenant.example.com"
			},
			"given_name": func(s *Server, r *rec) string { return s.user(r).given.display },
			// Accepted; the simulator lists inactive users and has no partners either way.
			"include_inactive": func(s *Server, r *rec) string { return "true" },
			"include_partners": func(s *Server, r *rec) string { return "true" },
		},
		anyValue: map[string]bool{"include_inactive": true, "include_partners": true},
		orders: map[string]orderSpec{
			"create_time": {},
			"email":       idKey(func(s *Server, r *rec) string { return s.user(r).given.slug + "." + pad12(r.id) }),
			"name":        idKey(func(s *Server, r *rec) string { return s.user(r).family.display }),
		},
		render: renderUser,
	}, "id given_name family_name email_addresses status admin partner global_user_id company_name create_time update_time")
}

func pad12(v int64) string {
	s := strconv.FormatInt(v, 10)
	return strings.Repeat("0", max(0, 12-len(s))) + s
}

// ---- tag categories and tags ----

var categoryNames = []string{"Lead Source", "Customer Type", "Événements", "Products", "Nurture", "Interests", "Status", "Région"}

func tagCategoryName(r *rec) string { return nth(categoryNames, r.id) }

// nth is the name of the id-th record of a fixed list, from id 1, cycling
// through names.
func nth(names []string, id int64) string { return names[int((id-1)%int64(len(names)))] }

func renderTagCategory(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, tagCategorySalt, r)
	o.idStr("id", r.id)
	o.str("name", tagCategoryName(r))
	if v.pct(60) {
		o.str("description", text(&v, 3))
	}
	o.timeV2("create_time", r.created)
	o.timeV2("update_time", r.updated)
}

func tagCategoriesDef() *streamDef {
	return additive(&streamDef{
		name: "tag_categories", path: "/v2/tags/categories", key: "tag_categories", maxPage: 1000,
		salt: tagCategorySalt, firstID: 1, scale: func(int) int { return len(categoryNames) }, spanDays: 5 * 365,
		timeFilters: map[string]timeFilter{
			"since_create_time": tf(true, false), "until_create_time": tf(true, true),
			"since_update_time": tf(false, false), "until_update_time": tf(false, true),
		},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"name": func(s *Server, r *rec) string { return tagCategoryName(r) },
		},
		orders: map[string]orderSpec{
			"name": idKey(func(s *Server, r *rec) string { return tagCategoryName(r) }), "create_time": {}, "update_time": {byUpdate: true},
		},
		render: renderTagCategory,
	}, "id name description create_time update_time")
}

func (s *Server) tagName(r *rec) string {
	st := stable(s, tagSalt, r)
	return st.pick(tagNames) + " " + strconv.FormatInt(r.id, 10)
}

func (s *Server) tagCategory(r *rec) int64 {
	st := stable(s, tagSalt, r)
	st.next()
	if st.pct(20) {
		return 0
	}
	return s.refID("tag_categories", &st)
}

// renderTag draws a tag the same in both versions; v1 names the category
// and carries no timestamps.
func (ver apiVersion) renderTag(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, tagSalt, r)
	ver.id(o, "id", r.id)
	o.str("name", s.tagName(r))
	if v.pct(50) {
		o.str("description", text(&v, 4))
	}
	if c := s.tagCategory(r); c != 0 {
		o.key("category")
		o.b = append(o.b, `{"id":`...)
		o.b = ver.appendID(o.b, c)
		if ver == apiV1 {
			o.b = append(o.b, `,"name":`...)
			o.b = appendString(o.b, tagCategoryName(&rec{id: c}))
		}
		o.b = append(o.b, '}')
	}
	if ver == apiV2 {
		o.timeV2("create_time", r.created)
		o.timeV2("update_time", r.updated)
	}
}

func tagsDef() *streamDef {
	return additive(&streamDef{
		name: "tags", path: "/v2/tags", key: "tags", maxPage: 1000,
		salt: tagSalt, firstID: 100, scale: func(n int) int { return max(5, min(500, 20+n/500)) }, spanDays: 5 * 365,
		timeFilters: map[string]timeFilter{
			"since_create_time": tf(true, false), "until_create_time": tf(true, true),
			"since_update_time": tf(false, false), "until_update_time": tf(false, true),
		},
		listFilters: map[string]bool{"tag_ids": true},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"name": func(s *Server, r *rec) string { return s.tagName(r) },
			"category_id": func(s *Server, r *rec) string {
				if c := s.tagCategory(r); c != 0 {
					return strconv.FormatInt(c, 10)
				}
				return "NONE"
			},
		},
		orders: map[string]orderSpec{
			"name": idKey(func(s *Server, r *rec) string { return s.tagName(r) }), "create_time": {}, "update_time": {byUpdate: true},
		},
		render: apiV2.renderTag,
	}, "id name description category create_time update_time")
}

// ---- companies ----

const (
	coID = iota
	coCompanyName
	coAddress
	coEmailAddress
	coPhoneNumber
	coFaxNumber
	coWebsite
	coNotes
	coOwnerID
	coCustomFields
	coCreateTime
	coUpdateTime
)

func (s *Server) companyEmail(id int64) string {
	r := newRnd(s.opts.Seed, companySalt, id, 0)
	return "info" + strconv.FormatInt(id, 10) + "@" + r.pick(domains)
}

// renderCompany draws each property from its own source (see
// contactView.f): the fields asked for must not change the values.
func renderCompany(s *Server, o *obj, r *rec, f fieldMask) {
	base := varying(s, companySalt, r)
	p := func(k int) rnd { return base.sub(uint64(k)) }
	if f.has(coID) {
		o.idStr("id", r.id)
	}
	if f.has(coCompanyName) {
		o.str("company_name", s.companyName(r.id))
	}
	if v := p(coAddress); f.has(coAddress) && v.pct(70) {
		o.key("address")
		o.b = apiV2.appendCompanyAddress(o.b, &v)
	}
	if v := p(coEmailAddress); f.has(coEmailAddress) && v.pct(80) {
		o.key("email_address")
		o.b = append(o.b, `{"email":`...)
		o.b = appendString(o.b, s.companyEmail(r.id))
		o.b = append(o.b, `,"field":"EMAIL1"}`...)
	}
	if v := p(coPhoneNumber); f.has(coPhoneNumber) && v.pct(70) {
		o.key("phone_number")
		o.b = apiV2.appendCompanyPhone(o.b, &v, "PHONE1")
	}
	if v := p(coFaxNumber); f.has(coFaxNumber) && v.pct(10) {
		o.key("fax_number")
		o.b = apiV2.appendCompanyPhone(o.b, &v, "FAX1")
	}
	if v := p(coWebsite); f.has(coWebsite) && v.pct(60) {
		o.str("website", "https://company"+strconv.FormatInt(r.id, 10)+".example.com")
	}
	if v := p(coNotes); f.has(coNotes) && v.pct(30) {
		o.key("notes")
		o.b = appendLongText(o.b, &v)
	}
	if v := p(coOwnerID); f.has(coOwnerID) && v.pct(60) {
		if id := s.refID("users", &v); id != 0 {
			o.idStr("owner_id", id)
		}
	}
	if f.has(coCustomFields) {
		v := p(coCustomFields)
		o.key("custom_fields")
		o.b = appendCustomFieldValues(o.b, customFieldSets["companies"], &v, false)
	}
	if f.has(coCreateTime) {
		o.timeV2("create_time", r.created)
	}
	if f.has(coUpdateTime) {
		o.timeV2("update_time", r.updated)
	}
}

// appendCompanyAddress appends a company's address, drawn from v the same
// in both versions.
func (ver apiVersion) appendCompanyAddress(b []byte, v *rnd) []byte {
	city := cities[v.n(len(cities))]
	var a obj
	a.begin(b)
	a.str("line1", strconv.Itoa(1+v.n(999))+" Commerce Way")
	a.str("locality", city.display)
	a.strOpt("region", city.slug)
	a.str(ver.either("postal_code", "zip_code"), pad4(v.n(10000))+"1")
	a.str("country_code", countries[v.n(len(countries))])
	if ver == apiV2 {
		a.str("field", "BILLING")
	}
	return a.end()
}

// appendCompanyPhone appends a company's phone or fax number, drawn from v;
// v2 names the number's field (PHONE1, FAX1).
func (ver apiVersion) appendCompanyPhone(b []byte, v *rnd, field string) []byte {
	b = append(b, `{"number":`...)
	b = appendPhone(b, v)
	if ver == apiV2 {
		b = append(b, `,"field":`...)
		b = appendString(b, field)
	}
	return append(b, `,"type":"Work"}`...)
}

func companiesDef() *streamDef {
	d := &streamDef{
		name: "companies", path: "/v2/companies", key: "companies", maxPage: 1000,
		salt: companySalt, firstID: 1, scale: func(n int) int { return max(3, n/20) }, spanDays: 6 * 365,
		timeFilters: map[string]timeFilter{"since_time": tf(false, false), "until_time": tf(false, true)},
		idFilters:   map[string]bool{"company_id": false},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"company_name": func(s *Server, r *rec) string { return s.companyName(r.id) },
			"name":         func(s *Server, r *rec) string { return s.companyName(r.id) },
			"email":        func(s *Server, r *rec) string { return s.companyEmail(r.id) },
		},
		orders: map[string]orderSpec{
			"id": {}, "create_time": {},
			"name":  idKey(func(s *Server, r *rec) string { return strings.ToLower(s.companyName(r.id)) }),
			"email": idKey(func(s *Server, r *rec) string { return s.companyEmail(r.id) }),
		},
		props:      propsOf("id company_name address email_address phone_number fax_number website notes owner_id custom_fields create_time update_time"),
		projection: true,
		render:     renderCompany,
	}
	// Keap leaves out even the timestamps unless asked in fields.
	d.defaults = d.mask("id", "company_name", "website", "owner_id")
	return d
}

// ---- products ----

func (s *Server) productName(r *rec) string {
	st := stable(s, productSalt, r)
	return st.pick(productNames) + " #" + strconv.FormatInt(r.id, 10)
}

func productSKU(r *rec) string { return "SKU-" + pad4(int(r.id%10000)) }

// renderProduct draws a product the same in both versions, under other
// names in v1, whose list record leaves out whether the product ships, is
// taxed or hidden.
func (ver apiVersion) renderProduct(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, productSalt, r)
	ver.id(o, "id", r.id)
	o.str(ver.either("name", "product_name"), s.productName(r))
	ver.money(o, ver.either("price", "product_price"), int64(500+v.n(50000)))
	ver.flag(o, ver.either("active", "status"), v.pct(85))
	if v.pct(70) {
		o.key(ver.either("description", "product_desc"))
		o.b = appendLongText(o.b, &v)
	}
	o.str("sku", productSKU(r))
	shippable, taxable := v.pct(40), v.pct(60)
	if ver == apiV2 {
		o.bool("shippable", shippable)
		o.bool("taxable", taxable)
	}
	if v.pct(50) {
		o.str(ver.either("short_description", "product_short_desc"), text(&v, 3))
	}
	o.bool("subscription_only", v.pct(10))
	if ver == apiV1 {
		o.raw("product_options", []byte("[]"))
		o.raw("subscription_plans", []byte("[]"))
		return
	}
	o.bool("storefront_hidden", v.pct(10))
	o.raw("categories", []byte("[]"))
	o.key("subscription_plans")
	o.b = appendSubscriptionPlans(o.b, r, &v)
	o.timeV2("create_time", r.created)
	o.timeV2("update_time", r.updated)
}

var billingCycles = []string{"MONTHLY", "YEARLY", "WEEKLY", "DAILY"}

// appendSubscriptionPlans appends a product's subscription plans (v2
// embeds them in the product): a third of the products have one to three.
func appendSubscriptionPlans(b []byte, r *rec, v *rnd) []byte {
	b = append(b, '[')
	if r.id%3 == 0 {
		for i := range 1 + v.n(3) {
			if i > 0 {
				b = append(b, ',')
			}
			var p obj
			p.begin(b)
			p.idStr("id", r.id*10+int64(i))
			p.bool("active", v.pct(85))
			p.bool("prorate", v.pct(30))
			p.str("billing_cycle", billingCycles[(int(r.id)+i)%len(billingCycles)])
			p.int("billing_frequency", int64(1+v.n(3)))
			p.int("number_of_cycles", int64(v.n(24)))
			p.key("plan_price")
			p.b = appendMoney(p.b, int64(900+v.n(20000)))
			p.int("order_index", int64(i))
			b = p.end()
		}
	}
	return append(b, ']')
}

func productsDef() *streamDef {
	return additive(&streamDef{
		name: "products", path: "/v2/products", key: "products", maxPage: 1000,
		salt: productSalt, firstID: 1, scale: func(n int) int { return max(3, min(2000, 10+n/1000)) }, spanDays: 6 * 365,
		idFilters:   map[string]bool{"product_id": false},
		listFilters: map[string]bool{"product_ids": true},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"name": func(s *Server, r *rec) string { return s.productName(r) },
			"sku":  func(s *Server, r *rec) string { return productSKU(r) },
		},
		orders: map[string]orderSpec{
			"name":              idKey(func(s *Server, r *rec) string { return strings.ToLower(s.productName(r)) }),
			"sku":               idKey(func(s *Server, r *rec) string { return productSKU(r) }),
			"last_updated_time": {byUpdate: true},
		},
		render: apiV2.renderProduct,
	}, "id name price active description sku shippable taxable short_description subscription_only storefront_hidden categories subscription_plans create_time update_time")
}

// ---- opportunities ----

var stageNames = []string{"New Lead", "Qualified", "Proposal Sent", "Négociation", "Won", "Lost"}

func (s *Server) opportunityTitle(r *rec) string {
	st := stable(s, opportunitySalt, r)
	return st.pick(productNames) + " for " + st.pick(companyWords)
}

func (s *Server) opportunityContact(r *rec) int64 {
	st := stable(s, opportunitySalt, r)
	st.next()
	st.next()
	return s.refID("contacts", &st)
}

const (
	opCustomFields = iota
	opCreatedBy
	opLastUpdatedBy
	opStatusID
)

// renderOpportunity draws an opportunity the same in both versions; v1
// embeds the contact's e-mail and the user's names, and its list has no
// optional_properties, so no custom fields.
func (ver apiVersion) renderOpportunity(s *Server, o *obj, r *rec, f fieldMask) {
	v := varying(s, opportunitySalt, r)
	ver.id(o, "id", r.id)
	cid := s.opportunityContact(r)
	o.key("contact")
	if ver == apiV1 {
		o.b = s.appendContactSummaryV1(o.b, cid)
	} else {
		var c obj
		c.begin(o.b)
		c.idStr("id", cid)
		if t := s.tables["contacts"]; t != nil {
			if i, ok := t.find(cid); ok {
				cv := s.contact(&t.recs[i])
				c.str("first_name", cv.given.display)
				c.str("last_name", cv.family.display)
			}
		}
		o.b = c.end()
	}
	stage := v.n(len(stageNames))
	o.key("stage")
	o.b = append(o.b, `{"id":`...)
	o.b = ver.appendID(o.b, int64(stage+1))
	o.b = append(o.b, `,"name":`...)
	o.b = appendString(o.b, stageNames[stage])
	o.b = append(o.b, `,"details":{"probability":`...)
	o.b = strconv.AppendInt(o.b, int64(stage*20), 10)
	o.b = append(o.b, `,"stage_order":`...)
	o.b = strconv.AppendInt(o.b, int64(stage+1), 10)
	o.b = append(o.b, `,"target_num_days":30}`...)
	if ver == apiV1 {
		o.b = append(o.b, `,"reasons":[]`...)
	}
	o.b = append(o.b, '}')
	owner := s.refID("users", &v)
	if owner != 0 && v.pct(80) {
		var u obj
		o.key("user")
		u.begin(o.b)
		ver.id(&u, "id", owner)
		if t := s.tables["users"]; ver == apiV1 && t != nil {
			if i, ok := t.find(owner); ok {
				uv := s.user(&t.recs[i])
				u.str("first_name", uv.given.display)
				u.str("last_name", uv.family.display)
			}
		}
		o.b = u.end()
	}
	o.str("opportunity_title", s.opportunityTitle(r))
	if v.pct(40) {
		ver.time(o, ver.either("estimated_close_time", "estimated_close_date"), r.updated+30*dayMs)
	}
	if v.pct(30) {
		ver.time(o, ver.either("next_action_time", "next_action_date"), r.updated+7*dayMs)
		o.str("next_action_notes", text(&v, 5))
	}
	if v.pct(30) {
		o.key("opportunity_notes")
		o.b = appendLongText(o.b, &v)
	}
	ver.flag(o, "include_in_forecast", v.pct(50))
	low := float64(v.n(100000)) / 100
	o.float("projected_revenue_low", low)
	o.float("projected_revenue_high", low+float64(v.n(100000))/100)
	ver.time(o, ver.either("created_time", "date_created"), r.created)
	ver.time(o, ver.either("last_updated_time", "last_updated"), r.updated)
	if ver == apiV1 {
		return
	}
	if f.has(opCustomFields) {
		o.key("custom_fields")
		o.b = appendCustomFieldValues(o.b, customFieldSets["opportunities"], &v, false)
	}
	if f.has(opCreatedBy) && owner != 0 {
		o.idStr("created_by", owner)
	}
	if f.has(opLastUpdatedBy) && owner != 0 {
		o.idStr("last_updated_by", owner)
	}
	if f.has(opStatusID) {
		o.idStr("status_id", int64(1+stage%3))
	}
}

func opportunitiesDef() *streamDef {
	d := &streamDef{
		name: "opportunities", path: "/v2/opportunities", key: "opportunities", maxPage: 1000,
		salt: opportunitySalt, firstID: 1, scale: func(n int) int { return max(3, n/10) }, spanDays: 4 * 365,
		idFilters:   map[string]bool{"opportunity_id": false},
		listFilters: map[string]bool{"ids": true},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"contact_id":        func(s *Server, r *rec) string { return strconv.FormatInt(s.opportunityContact(r), 10) },
			"opportunity_title": func(s *Server, r *rec) string { return s.opportunityTitle(r) },
		},
		orders: map[string]orderSpec{
			"created_time": {}, "update_time": {byUpdate: true},
			"opportunity_title": idKey(func(s *Server, r *rec) string { return strings.ToLower(s.opportunityTitle(r)) }),
		},
		props:  propsOf("custom_fields created_by last_updated_by status_id"),
		render: apiV2.renderOpportunity,
	}
	d.optional = d.all()
	return d
}

// ---- opportunity stages ----

// stageName is the name of stage id: the names the opportunities embed.
func stageName(id int64) string { return nth(stageNames, id) }

var checklistItems = []string{"Send proposal document", "Confirm budget", "Book a demo", "Agree on terms"}

// renderOpportunityStage draws a pipeline stage (RestOpportunityStage):
// the stage the opportunities embed by id, with its order and probability.
func renderOpportunityStage(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, opportunityStageSalt, r)
	idx := (r.id - 1) % int64(len(stageNames))
	o.idStr("id", r.id)
	o.str("name", stageName(r.id))
	o.int("order", r.id)
	o.int("target_number_days", int64(7+v.n(30)))
	o.int("probability", idx*20)
	apiV2.time(o, "created_time", r.created)
	apiV2.time(o, "updated_time", r.updated)
	o.key("checklist_items")
	o.b = append(o.b, '[')
	for i := range v.n(3) {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		var it obj
		it.begin(o.b)
		it.idStr("id", r.id*100+int64(i))
		it.str("description", checklistItems[(int(r.id)+i)%len(checklistItems)])
		it.bool("required", i == 0)
		it.int("order", int64(i+1))
		o.b = it.end()
	}
	o.b = append(o.b, ']')
}

func opportunityStagesDef() *streamDef {
	return additive(&streamDef{
		name: "opportunity_stages", path: "/v2/opportunities/stages", key: "stages", maxPage: 1000,
		salt: opportunityStageSalt, firstID: 1, scale: func(int) int { return len(stageNames) }, spanDays: 3 * 365,
		idFilters: map[string]bool{"opportunity_stage_id": false},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"opportunity_stage_name": func(s *Server, r *rec) string { return stageName(r.id) },
		},
		orders: map[string]orderSpec{"stage_order": {}},
		render: renderOpportunityStage,
	}, "id name order target_number_days probability created_time updated_time checklist_items")
}

// ---- orders ----

var orderStatuses = []string{"PAID", "PAID", "SENT", "DRAFT", "VIEWED"}

func (s *Server) orderContact(r *rec) int64 {
	st := stable(s, orderSalt, r)
	return s.refID("contacts", &st)
}

// renderOrder draws an order the same in both versions; v1 embeds the
// contact, writes amounts as numbers of dollars and has no custom fields.
func (ver apiVersion) renderOrder(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, orderSalt, r)
	st := stable(s, orderSalt, r)
	ver.id(o, "id", r.id)
	o.str("title", st.pick(productNames)+" order")
	status := v.pick(orderStatuses)
	o.str("status", status)
	items := 1 + st.n(3)
	var total int64
	prices := [3]int64{}
	for i := 0; i < items; i++ {
		prices[i] = int64(500 + st.n(20000))
		total += prices[i]
	}
	ver.money(o, "total", total)
	cid := s.orderContact(r)
	o.key("contact")
	if ver == apiV1 {
		o.b = s.appendContactSummaryV1(o.b, cid)
	} else {
		o.b = append(o.b, `{"id":`...)
		o.b = appendIDString(o.b, cid)
		o.b = append(o.b, '}')
	}
	if v.pct(20) {
		o.str("notes", text(&v, 6))
	}
	orderType := ver.either("ONLINE", "Online")
	if st.n(2) == 1 {
		orderType = ver.either("OFFLINE", "Offline")
	}
	o.str("order_type", orderType)
	o.str("source_type", []string{"API", "CHECKOUT_FORM", "INVOICE", "MANUAL_PAYMENT"}[st.n(4)])
	ver.time(o, ver.either("creation_time", "creation_date"), r.created)
	ver.time(o, ver.either("modification_time", "modification_date"), r.updated)
	ver.time(o, ver.either("order_time", "order_date"), r.created)
	paid := int64(0)
	if status == "PAID" {
		paid = total
	}
	ver.money(o, "total_paid", paid)
	ver.money(o, "total_due", total-paid)
	if ver == apiV1 {
		o.float("refund_total", 0)
		o.bool("recurring", false)
	}
	o.key("order_items")
	o.b = append(o.b, '[')
	for i := 0; i < items; i++ {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		pr := newRnd(s.opts.Seed, orderSalt, r.id*4+int64(i), 0)
		pid := s.refID("products", &pr)
		var it obj
		it.begin(o.b)
		ver.id(&it, "id", r.id*10+int64(i))
		it.str("name", pr.pick(productNames))
		it.int("quantity", 1)
		ver.money(&it, ver.either("price_per_unit", "price"), prices[i])
		ver.money(&it, ver.either("cost_per_unit", "cost"), prices[i]/3)
		it.str(ver.either("item_type", "type"), ver.either("PRODUCT", "Product"))
		if pid != 0 {
			it.key("product")
			it.b = append(it.b, `{"id":`...)
			it.b = ver.appendID(it.b, pid)
			it.b = append(it.b, `,"sku":`...)
			it.b = appendString(it.b, "SKU-"+pad4(int(pid%10000)))
			it.b = append(it.b, '}')
		}
		o.b = it.end()
	}
	o.b = append(o.b, ']')
	ver.id(o, "invoice_number", r.id+1000) // a string in v2, as ids are
	o.bool("allow_payment", true)
	if ver == apiV1 {
		o.bool("allow_paypal", false)
		return
	}
	o.key("custom_fields")
	o.b = appendCustomFieldValues(o.b, customFieldSets["orders"], &v, false)
}

func ordersDef() *streamDef {
	return additive(&streamDef{
		name: "orders", path: "/v2/orders", key: "orders", maxPage: 1000,
		salt: orderSalt, firstID: 1, scale: func(n int) int { return max(3, n/5) }, spanDays: 5 * 365,
		timeFilters: map[string]timeFilter{
			"created_since_time": tf(true, false), "created_until_time": tf(true, true),
			"modified_since_time": tf(false, false), "modified_until_time": tf(false, true),
		},
		idFilters:   map[string]bool{"id": true},
		listFilters: map[string]bool{"ids": true},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"contact_id": func(s *Server, r *rec) string { return strconv.FormatInt(s.orderContact(r), 10) },
		},
		orders: map[string]orderSpec{"id": {}, "order_time": {}, "modification_time": {byUpdate: true}},
		render: apiV2.renderOrder,
	}, "id title status total contact notes order_type source_type creation_time modification_time order_time total_paid total_due order_items invoice_number allow_payment custom_fields")
}

// ---- subscriptions ----

func (s *Server) subscriptionContact(r *rec) int64 {
	st := stable(s, subscriptionSalt, r)
	return s.refID("contacts", &st)
}

// renderSubscription draws a subscription the same in both versions; v1
// has no modification time or reason for stopping, but names the gateway.
func (ver apiVersion) renderSubscription(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, subscriptionSalt, r)
	st := stable(s, subscriptionSalt, r)
	active := v.pct(75)
	ver.id(o, "id", r.id)
	o.int("quantity", int64(1+st.n(3)))
	o.bool("active", active)
	ver.id(o, "contact_id", s.subscriptionContact(r))
	if pid := s.refID("products", &st); pid != 0 {
		ver.id(o, "product_id", pid)
	}
	ver.id(o, "subscription_plan_id", int64(1+st.n(20)))
	o.float("billing_amount", float64(st.n(20000))/100)
	o.bool("auto_charge", st.pct(90))
	o.int("billing_frequency", 1)
	o.str("billing_cycle", []string{"MONTH", "YEAR", "WEEK"}[st.n(3)])
	o.dateOnly("start_date", r.created)
	if active {
		o.dateOnly("next_bill_date", r.updated+30*dayMs)
	} else {
		o.dateOnly("end_date", r.updated)
		if ver == apiV2 {
			o.str("reason_stopped", text(&v, 3))
		}
	}
	if ver == apiV1 {
		o.bool("use_default_payment_gateway", true)
	} else {
		o.timeV2("modification_time", r.updated)
		o.key("custom_fields")
		o.b = appendCustomFieldValues(o.b, customFieldSets["subscriptions"], &v, false)
	}
}

func subscriptionsDef() *streamDef {
	return additive(&streamDef{
		name: "subscriptions", path: "/v2/subscriptions", key: "subscriptions", maxPage: 1000,
		salt: subscriptionSalt, firstID: 1, scale: func(n int) int { return max(3, n/20) }, spanDays: 4 * 365,
		idFilters:   map[string]bool{"id": true},
		listFilters: map[string]bool{"ids": true},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"contact_id": func(s *Server, r *rec) string { return strconv.FormatInt(s.subscriptionContact(r), 10) },
		},
		orders: map[string]orderSpec{
			"id": {}, "modification_time": {byUpdate: true},
			"contact_id": idKey(func(s *Server, r *rec) string { return pad12(s.subscriptionContact(r)) }),
		},
		render: apiV2.renderSubscription,
	}, "id quantity active contact_id product_id subscription_plan_id billing_amount auto_charge billing_frequency billing_cycle start_date next_bill_date end_date reason_stopped modification_time custom_fields")
}

// ---- payments ----

func (s *Server) paymentContact(r *rec) int64 {
	st := stable(s, paymentSalt, r)
	return s.refID("contacts", &st)
}

func renderPayment(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, paymentSalt, r)
	st := stable(s, paymentSalt, r)
	o.idStr("id", r.id)
	o.str("type", "CREDIT_CARD")
	o.float("amount", float64(100+st.n(50000))/100)
	if v.pct(20) {
		o.str("note", text(&v, 4))
	}
	o.str("status", []string{"COMPLETED", "COMPLETED", "APPROVED", "PENDING"}[v.n(4)])
	o.bool("commissioned", v.pct(10))
	o.bool("synced", v.pct(50))
	o.timeV2("payment_time", r.created)
	o.idStr("contact_id", s.paymentContact(r))
	o.key("order_ids")
	o.b = append(o.b, '[')
	if oid := s.refID("orders", &st); oid != 0 {
		o.b = appendIDString(o.b, oid)
	}
	o.b = append(o.b, ']')
	o.timeV2("update_time", r.updated)
	o.str("merchant_account_type", []string{"STRIPE", "KEAP_PAY", "PAYPAL"}[st.n(3)])
}

func paymentsDef() *streamDef {
	return additive(&streamDef{
		name: "payments", path: "/v2/sales/payments", key: "payments", maxPage: 1000,
		salt: paymentSalt, firstID: 1, scale: func(n int) int { return max(3, n/5) }, spanDays: 5 * 365,
		timeFilters: map[string]timeFilter{"since_time": tf(false, false), "until_time": tf(false, true)},
		idFilters:   map[string]bool{"id": false},
		listFilters: map[string]bool{"ids": true},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"contact_id": func(s *Server, r *rec) string { return strconv.FormatInt(s.paymentContact(r), 10) },
		},
		orders: map[string]orderSpec{
			"id": {}, "payment_time": {},
			"contact_id": idKey(func(s *Server, r *rec) string { return pad12(s.paymentContact(r)) }),
		},
		render: renderPayment,
	}, "id type amount note status commissioned synced payment_time contact_id order_ids update_time merchant_account_type")
}

// ---- notes ----

func (s *Server) noteTitle(r *rec) string {
	v := varying(s, noteSalt, r)
	return text(&v, 3)
}

func (s *Server) noteContact(r *rec) int64 {
	st := stable(s, noteSalt, r)
	return s.refID("contacts", &st)
}

// renderNote draws a note the same in both versions; they name the note's
// users differently, and v1 has no custom fields.
func (ver apiVersion) renderNote(s *Server, o *obj, r *rec, f fieldMask) {
	v := varying(s, noteSalt, r)
	st := stable(s, noteSalt, r)
	ver.id(o, "id", r.id)
	o.str("title", text(&v, 3))
	o.key(ver.either("text", "body"))
	o.b = appendLongText(o.b, &v)
	o.str("type", []string{"Call", "Email", "Other", "Appointment"}[st.n(4)])
	ver.id(o, "contact_id", s.noteContact(r))
	switch uid := s.refID("users", &st); {
	case uid == 0:
	case ver == apiV1:
		o.int("user_id", uid)
		o.key("last_updated_by")
		o.b = append(o.b, `{"user_id":`...)
		o.b = strconv.AppendInt(o.b, uid, 10)
		o.b = append(o.b, '}')
	default:
		o.key("assigned_to_user")
		o.b = append(o.b, `{"id":`...)
		o.b = appendIDString(o.b, uid)
		o.b = append(o.b, '}')
		o.idStr("created_by_user_id", uid)
		o.idStr("last_updated_by_user_id", uid)
	}
	ver.time(o, ver.either("create_time", "date_created"), r.created)
	ver.time(o, ver.either("update_time", "last_updated"), r.updated)
	if ver == apiV2 && f.has(0) {
		o.key("custom_fields")
		o.b = appendCustomFieldValues(o.b, customFieldSets["notes"], &v, false)
	}
}

func notesDef() *streamDef {
	d := &streamDef{
		name: "notes", path: "/v2/notes", key: "notes", maxPage: 1000,
		salt: noteSalt, firstID: 1, scale: func(n int) int { return max(3, n/2) }, spanDays: 6 * 365,
		timeFilters: map[string]timeFilter{"since_time": tf(false, false), "until_time": tf(false, true)},
		idFilters:   map[string]bool{"id": true},
		listFilters: map[string]bool{"ids": true},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"contact_id": func(s *Server, r *rec) string { return strconv.FormatInt(s.noteContact(r), 10) },
			"title":      func(s *Server, r *rec) string { return s.noteTitle(r) },
		},
		contains: map[string]bool{"title": true},
		orders:   map[string]orderSpec{"id": {}, "create_time": {}, "update_time": {byUpdate: true}},
		props:    []string{"custom_fields"},
		render:   apiV2.renderNote,
	}
	d.optional = d.all()
	return d
}

// ---- tasks ----

func (s *Server) taskContact(r *rec) int64 {
	st := stable(s, taskSalt, r)
	return s.refID("contacts", &st)
}

func (s *Server) taskCompleted(r *rec) bool {
	v := varying(s, taskSalt, r)
	return v.pct(40)
}

// renderTask draws a task the same in both versions. The spec's v1 Task
// schema has no id, but tasks are addressed by id (GET /v1/tasks/{taskId})
// and every other v1 list record carries one, so the simulator sends it.
// v1 embeds the contact and has no custom fields.
func (ver apiVersion) renderTask(s *Server, o *obj, r *rec, f fieldMask) {
	st := stable(s, taskSalt, r)
	completed := s.taskCompleted(r)
	v := varying(s, taskSalt, r)
	v.next()
	ver.id(o, "id", r.id)
	o.str("title", st.pick(words)+" "+st.pick(words))
	if v.pct(60) {
		o.key("description")
		o.b = appendLongText(o.b, &v)
	}
	o.str("type", []string{"Call", "Email", "Appointment", "Other"}[st.n(4)])
	if priority := v.n(3); ver == apiV1 {
		o.int("priority", int64(1+priority))
	} else {
		o.str("priority", []string{"CRITICAL", "ESSENTIAL", "NONESSENTIAL"}[priority])
	}
	o.bool("completed", completed)
	ver.time(o, ver.either("create_time", "creation_date"), r.created)
	ver.time(o, ver.either("modification_time", "modification_date"), r.updated)
	if completed {
		ver.time(o, ver.either("completion_time", "completion_date"), r.updated)
	}
	if v.pct(70) {
		ver.time(o, ver.either("due_time", "due_date"), r.created+int64(1+st.n(30))*dayMs)
	}
	if uid := s.refID("users", &st); uid != 0 {
		if ver == apiV1 {
			o.int("user_id", uid)
		} else {
			o.idStr("assigned_to_user_id", uid)
			o.idStr("created_by_user_id", uid)
		}
	}
	if ver == apiV1 {
		o.key("contact")
		o.b = s.appendContactSummaryV1(o.b, s.taskContact(r))
		return
	}
	o.idStr("contact_id", s.taskContact(r))
	if f.has(0) {
		o.key("custom_fields")
		o.b = appendCustomFieldValues(o.b, customFieldSets["tasks"], &v, false)
	}
}

func tasksDef() *streamDef {
	d := &streamDef{
		name: "tasks", path: "/v2/tasks", key: "tasks", maxPage: 1000,
		salt: taskSalt, firstID: 1, scale: func(n int) int { return max(3, n/4) }, spanDays: 3 * 365,
		timeFilters: map[string]timeFilter{"since_time": tf(false, false), "until_time": tf(false, true)},
		idFilters:   map[string]bool{"id": false},
		listFilters: map[string]bool{"task_ids": true},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"contact_id":   func(s *Server, r *rec) string { return strconv.FormatInt(s.taskContact(r), 10) },
			"is_completed": func(s *Server, r *rec) string { return strconv.FormatBool(s.taskCompleted(r)) },
		},
		orders: map[string]orderSpec{"id": {}, "create_time": {}, "update_time": {byUpdate: true}},
		props:  []string{"custom_fields"},
		render: apiV2.renderTask,
	}
	d.optional = d.all()
	return d
}

// ---- campaigns ----

var campaignNames = []string{"Welcome Sequence", "Spring Campaign", "Tag New Contacts", "Webinar Follow-up", "Réactivation", "Black Friday"}

func campaignName(r *rec) string {
	return campaignNames[int(r.id)%len(campaignNames)] + " " + strconv.FormatInt(r.id, 10)
}

// renderCampaign draws a campaign the same in both versions. Real v1
// campaigns embed their goal and sequence graphs; the simulator's campaigns
// have none. v2 counts the contacts in them.
func (ver apiVersion) renderCampaign(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, campaignSalt, r)
	ver.id(o, "id", r.id)
	o.str("name", campaignName(r))
	o.bool("locked", v.pct(10))
	ver.time(o, "date_created", r.created)
	published := v.pct(70)
	if published {
		ver.time(o, "published_date", r.updated)
		o.str("published_time_zone", "America/Phoenix")
	}
	o.bool("published_status", published)
	o.str("time_zone", "America/Phoenix")
	if ver == apiV1 {
		o.raw("goals", []byte("[]"))
		o.raw("sequences", []byte("[]"))
	} else {
		o.int("active_contact_count", int64(v.n(5000)))
		o.int("completed_contact_count", int64(v.n(5000)))
	}
}

func campaignsDef() *streamDef {
	return additive(&streamDef{
		name: "campaigns", path: "/v2/campaigns", key: "campaigns", maxPage: 1000,
		salt: campaignSalt, firstID: 1, scale: func(n int) int { return 5 + min(n/100_000, 10) }, spanDays: 5 * 365,
		eqFilters: map[string]func(s *Server, r *rec) string{"name": func(s *Server, r *rec) string { return campaignName(r) }},
		contains:  map[string]bool{"name": true},
		orders: map[string]orderSpec{
			"id": {}, "datecreated": {},
			"name": idKey(func(s *Server, r *rec) string { return campaignName(r) }),
		},
		render: apiV2.renderCampaign,
	}, "id name locked date_created published_date published_time_zone published_status time_zone active_contact_count completed_contact_count")
}
