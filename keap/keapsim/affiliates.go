package keapsim

import "strconv"

// ---- affiliates (referral partners) ----

// affiliateScale is the number of affiliates of a tenant of n contacts;
// each has a summary, so both tables are generated alike (same ids).
func affiliateScale(n int) int { return max(3, min(500, n/100)) }

func affiliateCode(r *rec) string { return "A" + strconv.FormatInt(r.id, 10) }

func (s *Server) affiliateContact(r *rec) int64 {
	st := stable(s, affiliateSalt, r)
	return s.refID("contacts", &st)
}

// renderAffiliate draws the spec's Affiliate, its custom fields included.
func renderAffiliate(s *Server, o *obj, r *rec, _ fieldMask) {
	st := stable(s, affiliateSalt, r)
	v := varying(s, affiliateSalt, r)
	g := givenNames[st.n(len(givenNames))]
	f := familyNames[st.n(len(familyNames))]
	o.idStr("id", r.id)
	o.str("code", affiliateCode(r))
	o.str("name", g.display+" "+f.display)
	o.str("status", []string{"ACTIVE", "ACTIVE", "ACTIVE", "INACTIVE"}[v.n(4)])
	o.idStr("contact_id", s.affiliateContact(r))
	o.idStr("unique_site_id", 900_000+r.id)
	o.timeV2("date_created", r.created)
	parent := int64(0)
	if r.id > 3 && st.pct(30) {
		parent = 1 + r.id%3
	}
	o.idStr("parent_affiliate_id", parent)
	o.bool("notify_on_sale", v.pct(70))
	o.bool("notify_on_lead", v.pct(40))
	o.int("track_leads_days", int64(30*(1+st.n(3))))
	o.key("custom_fields")
	o.b = appendCustomFieldValues(o.b, customFieldSets["affiliates"], &v, false)
}

// affiliatesDef serves GET /v2/affiliates: id comparisons, equality on
// name, contact, status and code, ordered by id, creation, name, status
// or code.
func affiliatesDef() *streamDef {
	return additive(&streamDef{
		name: "affiliates", path: "/v2/affiliates", key: "affiliates", maxPage: 1000,
		salt: affiliateSalt, firstID: 1, scale: affiliateScale, spanDays: 5 * 365,
		idFilters: map[string]bool{"id": true},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"contact_id": func(s *Server, r *rec) string { return strconv.FormatInt(s.affiliateContact(r), 10) },
			"code":       func(s *Server, r *rec) string { return affiliateCode(r) },
		},
		orders: map[string]orderSpec{"id": {}, "date_created": {}},
		render: renderAffiliate,
	}, "id code name status contact_id unique_site_id date_created parent_affiliate_id notify_on_sale notify_on_lead track_leads_days custom_fields")
}

// renderAffiliateSummary draws the spec's AffiliateSummary: money as
// numbers of dollars, keyed by the affiliate (there is no id of its own).
func renderAffiliateSummary(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, affiliateSummarySalt, r)
	earned := int64(v.n(500_000))
	clawbacks := int64(v.n(int(earned/10 + 1)))
	o.int("affiliateId", r.id)
	o.float("amountEarned", float64(earned)/100)
	o.float("clawbacks", float64(clawbacks)/100)
	o.float("balance", float64(earned-clawbacks-int64(v.n(int(earned/2+1))))/100)
}

// affiliateSummariesDef serves GET /v2/affiliates/summaries: one summary
// per affiliate (the same ids), ordered by affiliate.
func affiliateSummariesDef() *streamDef {
	return additive(&streamDef{
		name: "affiliate_summaries", path: "/v2/affiliates/summaries", key: "affiliate_summaries", maxPage: 1000,
		salt: affiliateSummarySalt, firstID: 1, scale: affiliateScale, spanDays: 5 * 365,
		listFilters: map[string]bool{"affiliate_ids": true},
		orders:      map[string]orderSpec{"affiliate_id": {}},
		render:      renderAffiliateSummary,
	}, "affiliateId amountEarned clawbacks balance")
}

var commissionProgramNames = []string{"Standard", "Partner Tier", "Launch Bonus", "Lifetime Referral"}

// renderCommissionProgram draws the spec's CommissionProgram.
func renderCommissionProgram(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, commissionProgramSalt, r)
	o.idStr("id", r.id)
	o.str("name", nth(commissionProgramNames, r.id))
	o.idStr("priority", int64(v.n(5)))
	if v.pct(60) {
		o.str("notes", text(&v, 5))
	}
	o.timeV2("create_time", r.created)
	o.key("affiliate_ids")
	o.b = append(o.b, '[')
	for i := range 1 + v.n(3) {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = appendIDString(o.b, 1+int64(v.n(3)))
	}
	o.b = append(o.b, ']')
}

// commissionProgramsDef serves GET /v2/affiliates/commissionPrograms.
func commissionProgramsDef() *streamDef {
	return additive(&streamDef{
		name: "affiliate_commission_programs", path: "/v2/affiliates/commissionPrograms", key: "commission_programs", maxPage: 1000,
		salt: commissionProgramSalt, firstID: 1, scale: func(int) int { return len(commissionProgramNames) }, spanDays: 5 * 365,
		eqFilters: map[string]func(s *Server, r *rec) string{
			"name": func(s *Server, r *rec) string { return nth(commissionProgramNames, r.id) },
		},
		orders: map[string]orderSpec{"date_created": {}},
		render: renderCommissionProgram,
	}, "id name priority notes create_time affiliate_ids")
}

func (s *Server) redirectAffiliate(r *rec) int64 {
	st := stable(s, affiliateRedirectSalt, r)
	return s.refID("affiliates", &st)
}

// renderAffiliateRedirect draws the spec's AffiliateLink.
func renderAffiliateRedirect(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, affiliateRedirectSalt, r)
	code := "L" + strconv.FormatInt(r.id, 10)
	o.idStr("id", r.id)
	o.str("name", text(&v, 2))
	o.str("code", code)
	o.idStr("affiliate_id", s.redirectAffiliate(r))
	o.str("local_url_code", code)
	o.str("redirect_url", "https://keapsim-demo.example.com/offer/"+code)
	o.str("website_address", "https://keapsim-demo.example.com/")
	o.key("program_ids")
	o.b = append(o.b, `["1"]`...)
	o.timeV2("date_created", r.created)
}

// affiliateRedirectsDef serves GET /v2/affiliates/redirects.
func affiliateRedirectsDef() *streamDef {
	return additive(&streamDef{
		name: "affiliate_redirects", path: "/v2/affiliates/redirects", key: "affiliate_links", maxPage: 1000,
		salt: affiliateRedirectSalt, firstID: 1, scale: func(n int) int { return max(3, min(1000, n/200)) }, spanDays: 5 * 365,
		eqFilters: map[string]func(s *Server, r *rec) string{
			"affiliate_id": func(s *Server, r *rec) string { return strconv.FormatInt(s.redirectAffiliate(r), 10) },
		},
		orders: map[string]orderSpec{"date_created": {}},
		render: renderAffiliateRedirect,
	}, "id name code affiliate_id local_url_code redirect_url website_address program_ids date_created")
}

func (s *Server) referral(r *rec) (contact, partner int64) {
	st := stable(s, referralSalt, r)
	return s.refID("contacts", &st), s.refID("affiliates", &st)
}

// renderReferral draws the spec's Referral: a contact an affiliate brought.
func renderReferral(s *Server, o *obj, r *rec, _ fieldMask) {
	st := stable(s, referralSalt, r)
	contact, partner := s.referral(r)
	o.idStr("id", r.id)
	if st.pct(50) {
		o.str("description", text(&st, 4))
	}
	o.str("source", []string{"Email Marketing", "Website", "Social", "Event"}[st.n(4)])
	o.idStr("contact_id", contact)
	o.idStr("referral_partner_id", partner)
	o.timeV2("referral_time", r.created)
	o.timeV2("expiration_time", r.created+90*dayMs)
	o.str("ip_address", "192.0.2."+strconv.Itoa(1+st.n(250)))
	o.str("referral_type", []string{"COOKIE", "PERMANENT", "MANUAL"}[st.n(3)])
}

// referralsDef serves GET /v2/referrals: comparisons on the partner and
// the contact, ordered by id or referral time.
func referralsDef() *streamDef {
	return additive(&streamDef{
		name: "affiliate_referrals", path: "/v2/referrals", key: "referrals", maxPage: 1000,
		salt: referralSalt, firstID: 1, scale: func(n int) int { return max(5, n/20) }, spanDays: 5 * 365,
		appendOnly: true,
		eqFilters: map[string]func(s *Server, r *rec) string{
			"referral_partner_id": func(s *Server, r *rec) string { _, p := s.referral(r); return strconv.FormatInt(p, 10) },
			"contact_id":          func(s *Server, r *rec) string { c, _ := s.referral(r); return strconv.FormatInt(c, 10) },
		},
		orders: map[string]orderSpec{"id": {}, "referral_time": {}},
		render: renderReferral,
	}, "id description source contact_id referral_partner_id referral_time expiration_time ip_address referral_type")
}
