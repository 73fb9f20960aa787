package keapsim

import "strconv"

// Small lookup lists an account sets up once and rarely changes: each is
// read whole in one call.

// ---- product categories ----

var productCategoryNames = []string{"Electronics", "Courses", "Memberships", "Books", "Accessoires", "Services", "Gift Cards", "Café"}

func productCategoryName(r *rec) string {
	return nth(productCategoryNames, r.id)
}

// productCategoryParent is the parent of a category: the first three are
// roots, the others hang under one of them.
func productCategoryParent(r *rec) int64 {
	if r.id <= 3 {
		return 0
	}
	return 1 + r.id%3
}

// renderProductCategory draws the spec's ProductCategory (no timestamps).
func renderProductCategory(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, productCategorySalt, r)
	o.idStr("id", r.id)
	o.str("name", productCategoryName(r))
	o.int("display_order_index", int64(v.n(10)))
	if p := productCategoryParent(r); p != 0 {
		o.idStr("parent_category_id", p)
	}
}

// productCategoriesDef serves GET /v2/productCategories: comparisons on
// product_category_id, name, ordered by id.
func productCategoriesDef() *streamDef {
	return additive(&streamDef{
		name: "product_categories", path: "/v2/productCategories", key: "product_categories", maxPage: 1000,
		salt: productCategorySalt, firstID: 1, scale: func(int) int { return len(productCategoryNames) }, spanDays: 4 * 365,
		idFilters: map[string]bool{"product_category_id": true},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"name": func(s *Server, r *rec) string { return productCategoryName(r) },
		},
		contains: map[string]bool{"name": true},
		orders:   map[string]orderSpec{"id": {}},
		render:   renderProductCategory,
	}, "id name display_order_index parent_category_id")
}

// ---- contact link types ----

var contactLinkTypeNames = []string{"Spouse", "Assistant", "Referred by", "Parent", "Business partner"}

func contactLinkTypeName(r *rec) string {
	return nth(contactLinkTypeNames, r.id)
}

// renderContactLinkType draws the spec's ContactLinkType.
func renderContactLinkType(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, contactLinkTypeSalt, r)
	o.idStr("id", r.id)
	o.str("name", contactLinkTypeName(r))
	o.int("max_links", int64(1+v.n(5)))
	o.timeV2("create_time", r.created)
}

// contactLinkTypesDef serves GET /v2/contacts/links/types: filtered by
// name, ordered by name, max_links or create_time.
func contactLinkTypesDef() *streamDef {
	return additive(&streamDef{
		name: "contact_link_types", path: "/v2/contacts/links/types", key: "contact_link_types", maxPage: 1000,
		salt: contactLinkTypeSalt, firstID: 1, scale: func(int) int { return len(contactLinkTypeNames) }, spanDays: 4 * 365,
		eqFilters: map[string]func(s *Server, r *rec) string{
			"name": func(s *Server, r *rec) string { return contactLinkTypeName(r) },
		},
		orders: map[string]orderSpec{
			"name":        idKey(func(s *Server, r *rec) string { return contactLinkTypeName(r) }),
			"create_time": {},
		},
		render: renderContactLinkType,
	}, "id name max_links create_time")
}

// ---- user groups, automation categories and automations ----

var userGroupNames = []string{"Sales", "Accounting", "Support", "Marketing"}

func renderUserGroup(s *Server, o *obj, r *rec, _ fieldMask) {
	o.idStr("id", r.id)
	o.str("name", nth(userGroupNames, r.id))
}

// userGroupsDef serves GET /v2/userGroups: one call, no parameters.
func userGroupsDef() *streamDef {
	return additive(&streamDef{
		name: "user_groups", path: "/v2/userGroups", key: "user_groups", maxPage: 1000,
		salt: userGroupSalt, firstID: 1, scale: func(int) int { return len(userGroupNames) }, spanDays: 4 * 365,
		render: renderUserGroup,
	}, "id name")
}

var automationCategoryNames = []string{"Marketing Campaigns", "Onboarding", "Sales Follow-up"}

func renderAutomationCategory(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, automationCategorySalt, r)
	o.idStr("id", r.id)
	o.str("name", nth(automationCategoryNames, r.id))
	o.int("automation_count", int64(v.n(20)))
}

// automationCategoriesDef serves GET /v2/automationCategory: one call.
func automationCategoriesDef() *streamDef {
	return additive(&streamDef{
		name: "automation_categories", path: "/v2/automationCategory", key: "automation_categories", maxPage: 1000,
		salt: automationCategorySalt, firstID: 1, scale: func(int) int { return len(automationCategoryNames) }, spanDays: 4 * 365,
		render: renderAutomationCategory,
	}, "id name automation_count")
}

func automationTitle(r *rec) string { return "Automation " + strconv.FormatInt(r.id, 10) }

// renderAutomation draws the spec's Automation (a campaign of the new
// builder).
func renderAutomation(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, automationSalt, r)
	o.idStr("id", r.id)
	o.str("title", automationTitle(r))
	o.key("categories")
	o.b = append(o.b, '[')
	o.b = appendIDString(o.b, 1+r.id%int64(len(automationCategoryNames)))
	o.b = append(o.b, ']')
	published := v.pct(70)
	o.str("status", map[bool]string{true: "PUBLISHED", false: "DRAFT"}[published])
	o.bool("locked", v.pct(10))
	o.int("active_contacts", int64(v.n(500)))
	if published {
		o.timeV2("published_date", r.updated)
		o.idStr("published_by", 1)
		o.str("published_timezone", "America/New_York")
	}
}

// automationsDef serves GET /v2/automations, whose pages hold at most 25.
func automationsDef() *streamDef {
	return additive(&streamDef{
		name: "automations", path: "/v2/automations", key: "automations", maxPage: 25,
		salt: automationSalt, firstID: 1, scale: func(n int) int { return max(4, min(300, n/300)) }, spanDays: 4 * 365,
		eqFilters: map[string]func(s *Server, r *rec) string{"name": func(s *Server, r *rec) string { return automationTitle(r) }},
		orders:    map[string]orderSpec{"name": idKey(func(s *Server, r *rec) string { return pad12(r.id) })},
		render:    renderAutomation,
	}, "id title categories status locked active_contacts published_date published_by published_timezone")
}

// ---- merchants, web forms and email templates ----

var (
	merchantNames = []string{"Keap Payments", "Stripe", "PayPal"}
	merchantTypes = []string{"KEAP_PAY", "STRIPE", "PAYPAL"}
	webformTypes  = []string{"STANDALONE", "FUNNEL"}
)

func renderMerchant(s *Server, o *obj, r *rec, _ fieldMask) {
	o.idStr("id", r.id)
	o.str("name", nth(merchantNames, r.id))
	o.str("type", nth(merchantTypes, r.id))
	o.bool("is_test", r.id == 3)
}

// merchantsDef serves GET /v2/merchants (merchant accounts).
func merchantsDef() *streamDef {
	return additive(&streamDef{
		name: "merchants", path: "/v2/merchants", key: "merchant_accounts", maxPage: 1000,
		salt: merchantSalt, firstID: 1, scale: func(int) int { return 3 }, spanDays: 4 * 365,
		eqFilters: map[string]func(s *Server, r *rec) string{"name": func(s *Server, r *rec) string { return nth(merchantNames, r.id) }},
		orders:    map[string]orderSpec{"id": {}},
		render:    renderMerchant,
	}, "id name type is_test")
}

func renderWebform(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, webformSalt, r)
	xid := "wf" + pad12(r.id)
	o.idStr("id", r.id)
	o.str("xid", xid)
	o.str("name", text(&v, 2)+" form")
	o.str("webform_url", "https://keapsim-demo.example.com/app/form/"+xid)
	o.str("thank_you_page_url", "https://keapsim-demo.example.com/thank-you")
	o.str("duplicate_check_option", "EMAIL")
	o.str("exit_option", "REDIRECT")
	o.str("webform_type", nth(webformTypes, r.id))
	o.timeV2("create_time", r.created)
	o.timeV2("update_time", r.updated)
}

// webformsDef serves GET /v2/webforms: filters on creation and update
// time and on the type.
func webformsDef() *streamDef {
	return additive(&streamDef{
		name: "webforms", path: "/v2/webforms", key: "webforms", maxPage: 1000,
		salt: webformSalt, firstID: 1, scale: func(n int) int { return max(3, min(200, n/500)) }, spanDays: 4 * 365,
		timeFilters: map[string]timeFilter{
			"since_create_time": tf(true, false), "until_create_time": tf(true, true),
			"since_update_time": tf(false, false), "until_update_time": tf(false, true),
		},
		eqFilters: map[string]func(s *Server, r *rec) string{"webform_type": func(s *Server, r *rec) string { return nth(webformTypes, r.id) }},
		orders:    map[string]orderSpec{"create_time": {}, "update_time": {byUpdate: true}},
		render:    renderWebform,
	}, "id xid name webform_url thank_you_page_url duplicate_check_option exit_option webform_type create_time update_time")
}

func renderEmailTemplate(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, emailTemplateSalt, r)
	o.int("id", r.id)
	o.str("piece_title", emailSubjects[int(r.id)%len(emailSubjects)]+" template")
	o.key("categories")
	o.b = append(o.b, `["Marketing"]`...)
	o.str("from_address", "~Owner.Email~")
	o.str("to_address", "~Contact.Email~")
	o.str("subject", text(&v, 4))
	o.str("content_type", []string{"HTML", "TEXT"}[int(r.id)%2])
	o.str("merge_context", "Contact")
}

// emailTemplatesDef serves GET /v2/emails/templates (ids are integers
// there).
func emailTemplatesDef() *streamDef {
	return additive(&streamDef{
		name: "email_templates", path: "/v2/emails/templates", key: "email_templates", maxPage: 1000,
		salt: emailTemplateSalt, firstID: 1, scale: func(n int) int { return max(3, min(300, n/200)) }, spanDays: 4 * 365,
		orders: map[string]orderSpec{"id": {}},
		render: renderEmailTemplate,
	}, "id piece_title categories from_address to_address subject content_type merge_context")
}

// ---- shipping methods ----

var shippingMethodNames = []string{"Standard", "Express", "Overnight", "International"}

// renderShippingMethod draws the spec's ShippingMethod (its settings an
// object the spec leaves open).
func renderShippingMethod(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, shippingMethodSalt, r)
	name := nth(shippingMethodNames, r.id)
	o.idStr("id", r.id)
	o.str("name", name)
	o.str("description", name+" shipping")
	o.str("type", nth([]string{"FLAT_RATE", "WEIGHT_BASED", "ORDER_TOTAL"}, r.id))
	o.str("status", map[bool]string{true: "ACTIVE", false: "INACTIVE"}[v.pct(80)])
	o.bool("international", name == "International")
	o.key("settings")
	o.b = append(o.b, `{"rate":`...)
	o.b = strconv.AppendInt(o.b, int64(5+v.n(20)), 10)
	o.b = append(o.b, '}')
}

// shippingMethodsDef serves GET /v2/shipping: one call, no parameters.
func shippingMethodsDef() *streamDef {
	return additive(&streamDef{
		name: "shipping_methods", path: "/v2/shipping", key: "shipping_methods", maxPage: 1000,
		salt: shippingMethodSalt, firstID: 1, scale: func(int) int { return len(shippingMethodNames) }, spanDays: 4 * 365,
		render: renderShippingMethod,
	}, "id name description type status international settings")
}
