package keapsim

import "strconv"

// ---- lead source categories and lead sources ----

var leadSourceCategoryNames = []string{"Paid Advertising", "Referrals", "Événements", "Organic", "Partners", "Direct Mail"}

func leadSourceCategoryName(r *rec) string {
	return nth(leadSourceCategoryNames, r.id)
}

func renderLeadSourceCategory(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, leadSourceCategorySalt, r)
	o.idStr("id", r.id)
	o.str("name", leadSourceCategoryName(r))
	if v.pct(70) {
		o.str("description", text(&v, 4))
	}
	o.timeV2("create_time", r.created)
	o.timeV2("update_time", r.updated)
}

// leadSourceCategoriesDef serves GET /v2/leadSourceCategories: filters on
// name and description, ordered by name only (the spec's one order).
func leadSourceCategoriesDef() *streamDef {
	return additive(&streamDef{
		name: "lead_source_categories", path: "/v2/leadSourceCategories", key: "lead_source_categories", maxPage: 1000,
		salt: leadSourceCategorySalt, firstID: 1, scale: func(int) int { return len(leadSourceCategoryNames) }, spanDays: 6 * 365,
		eqFilters: map[string]func(s *Server, r *rec) string{
			"name": func(s *Server, r *rec) string { return leadSourceCategoryName(r) },
		},
		orders: map[string]orderSpec{"name": idKey(func(s *Server, r *rec) string { return leadSourceCategoryName(r) })},
		render: renderLeadSourceCategory,
	}, "id name description create_time update_time")
}

var (
	leadSourceVendors = []string{"Google", "Meta", "LinkedIn", "Trade Show", "Newsletter", "Partner Network"}
	leadSourceMedia   = []string{"cpc", "social", "email", "event", "referral", "print"}
)

type leadSourceView struct {
	name, vendor, medium, status string
	category                     int64
}

func (s *Server) leadSource(r *rec) leadSourceView {
	st := stable(s, leadSourceSalt, r)
	v := varying(s, leadSourceSalt, r)
	vendor, medium := st.pick(leadSourceVendors), st.pick(leadSourceMedia)
	lv := leadSourceView{name: vendor + " " + medium + " " + strconv.FormatInt(r.id, 10), vendor: vendor, medium: medium, status: "ACTIVE"}
	if v.pct(20) {
		lv.status = "INACTIVE"
	}
	if !st.pct(15) {
		lv.category = s.refID("lead_source_categories", &st)
	}
	return lv
}

// renderLeadSource draws a lead source as the spec's LeadSource: every
// id a string, the campaign's dates optional.
func renderLeadSource(s *Server, o *obj, r *rec, _ fieldMask) {
	l := s.leadSource(r)
	v := varying(s, leadSourceSalt, r)
	o.idStr("id", r.id)
	o.str("name", l.name)
	if v.pct(60) {
		o.str("description", text(&v, 5))
	}
	o.str("vendor", l.vendor)
	o.str("medium", l.medium)
	if v.pct(40) {
		o.str("message", text(&v, 3))
	}
	o.str("status", l.status)
	if l.category != 0 {
		o.idStr("lead_source_category_id", l.category)
	}
	o.timeV2("start_time", r.created)
	if l.status == "INACTIVE" {
		o.timeV2("end_time", r.updated)
	}
	o.timeV2("create_time", r.created)
	o.timeV2("update_time", r.updated)
}

// leadSourcesDef serves GET /v2/leadSources: id comparisons, equality on
// status, vendor and medium, and the spec's orders. Its ids start at 1, as
// the contacts' leadsource_id (1 to 9) do, so that contacts join their
// lead source (the few ids genID skips are lead sources deleted since).
func leadSourcesDef() *streamDef {
	return additive(&streamDef{
		name: "lead_sources", path: "/v2/leadSources", key: "lead_sources", maxPage: 1000,
		salt: leadSourceSalt, firstID: 1, scale: func(n int) int { return max(9, min(300, 9+n/1000)) }, spanDays: 6 * 365,
		idFilters: map[string]bool{"id": true},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"name":   func(s *Server, r *rec) string { return s.leadSource(r).name },
			"status": func(s *Server, r *rec) string { return s.leadSource(r).status },
			"vendor": func(s *Server, r *rec) string { return s.leadSource(r).vendor },
			"medium": func(s *Server, r *rec) string { return s.leadSource(r).medium },
			"lead_source_category_id": func(s *Server, r *rec) string {
				return strconv.FormatInt(s.leadSource(r).category, 10)
			},
		},
		orders: map[string]orderSpec{
			"name":        idKey(func(s *Server, r *rec) string { return s.leadSource(r).name }),
			"create_time": {}, "update_time": {byUpdate: true},
		},
		render: renderLeadSource,
	}, "id name description vendor medium message status lead_source_category_id start_time end_time create_time update_time")
}
