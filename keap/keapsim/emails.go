package keapsim

import "strconv"

// ---- email history ----

// emailOpenDays is how long after sending the simulated recipients open
// and click: churn opens only emails sent within it, and the generated
// history's opens fall within it too. Keap filters emails on creation
// time only, so an open changes an old record without any filter seeing
// it; keapsync re-reads a recent window (30 days by default) to catch
// them.
const emailOpenDays = 14

var emailSubjects = []string{"Welcome aboard", "Your invoice", "Spring offer", "Webinar tomorrow", "We miss you", "Order shipped", "Événement: save the date"}

type emailView struct {
	contact         int64
	subject, to     string
	opened, clicked bool
	openedAt        int64
}

func (s *Server) email(r *rec) emailView {
	st := stable(s, emailSalt, r)
	e := emailView{contact: s.refID("contacts", &st), subject: st.pick(emailSubjects)}
	e.to = "c" + strconv.FormatInt(e.contact, 10) + "@keap-tenant.example.com"
	if r.updated > r.created { // an update of an email is its open (and click)
		e.opened, e.openedAt, e.clicked = true, r.updated, st.pct(35)
	}
	return e
}

// renderEmail draws an email in either version: v2's EmailSentWithContent
// without content (sent_time, lists of cc and bcc), v1's EmailSentQuery
// (sent_date, the lists as one string).
func (ver apiVersion) renderEmail(s *Server, o *obj, r *rec, _ fieldMask) {
	e := s.email(r)
	st := stable(s, emailSalt, r)
	ver.id(o, "id", r.id)
	o.str("subject", e.subject)
	if st.pct(10) {
		o.str("headers", "X-Campaign: "+strconv.Itoa(1+st.n(9)))
	}
	ver.id(o, "contact_id", e.contact)
	o.str("sent_to_address", e.to)
	cc := st.pct(5)
	if ver == apiV2 {
		if cc {
			o.key("sent_to_cc_address_list")
			o.b = append(o.b, `["assistant@keap-tenant.example.com"]`...)
		}
	} else if cc {
		o.str("sent_to_cc_addresses", "assistant@keap-tenant.example.com")
	}
	o.str("sent_from_address", "news@keapsim-demo.example.com")
	o.str("sent_from_reply_address", "reply@keapsim-demo.example.com")
	ver.time(o, ver.either("sent_time", "sent_date"), r.created)
	ver.time(o, ver.either("received_time", "received_date"), r.created+60_000)
	if e.opened {
		ver.time(o, ver.either("opened_time", "opened_date"), e.openedAt)
		if e.clicked {
			ver.time(o, ver.either("clicked_time", "clicked_date"), e.openedAt)
		}
	}
	o.str("original_provider", "INFUSIONSOFT")
	o.str("original_provider_id", "ks-"+strconv.FormatInt(r.id, 10))
}

// emailsDef serves GET /v2/emails: filters on creation time, contact and
// address, ordered by creation time.
func emailsDef() *streamDef {
	return additive(&streamDef{
		name: "emails", path: "/v2/emails", key: "emails", maxPage: 1000,
		salt: emailSalt, firstID: 1, scale: func(n int) int { return max(5, n) }, spanDays: 3 * 365,
		updateWithinDays: emailOpenDays,
		timeFilters:      map[string]timeFilter{"start_created_time": tf(true, false), "end_created_time": tf(true, true)},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"contact_id": func(s *Server, r *rec) string { return strconv.FormatInt(s.email(r).contact, 10) },
			"email":      func(s *Server, r *rec) string { return s.email(r).to },
		},
		orders: map[string]orderSpec{"created_time": {}},
		render: apiV2.renderEmail,
	}, "id subject headers contact_id sent_to_address sent_to_cc_address_list sent_from_address sent_from_reply_address sent_time received_time opened_time clicked_time original_provider original_provider_id")
}

// emailsV1Def serves GET /v1/emails (the count of plan, and what v2
// lacks): filters on the sent date (creation), contact and address.
func emailsV1Def() *streamDef {
	return additive(&streamDef{
		name: "emails", path: "/v1/emails", key: "emails", v1: true, maxPage: 1000,
		timeFilters: map[string]timeFilter{"since_sent_date": tf(true, false), "until_sent_date": tf(true, true)},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"contact_id": func(s *Server, r *rec) string { return idString(s.email(r).contact) },
			"email":      func(s *Server, r *rec) string { return s.email(r).to },
		},
		render: apiV1.renderEmail,
	}, "id")
}
