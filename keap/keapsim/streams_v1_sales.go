package keapsim

import "strconv"

// The v1 lists of sales records: orders, products, subscriptions and
// transactions (the one v1 stream of the catalogue). See v1Defs.

// ---- orders ----

func (s *Server) orderStatus(r *rec) string {
	v := varying(s, orderSalt, r)
	return v.pick(orderStatuses)
}

func ordersV1Def() *streamDef {
	return additive(&streamDef{
		name: "orders", path: "/v1/orders", key: "orders", v1: true, maxPage: 1000,
		timeFilters: v1Since(),
		eqFilters: map[string]func(s *Server, r *rec) string{
			"contact_id": func(s *Server, r *rec) string { return idString(s.orderContact(r)) },
			"paid":       func(s *Server, r *rec) string { return strconv.FormatBool(s.orderStatus(r) == "PAID") },
		},
		// "Dates are ordered by most recent at the top."
		v1Orders: map[string]orderSpec{
			"order_date":  {newestFirst: true},
			"update_date": {byUpdate: true, newestFirst: true},
		},
		render: apiV1.renderOrder,
	}, "id")
}

// ---- products ----

func (s *Server) productActive(r *rec) bool {
	v := varying(s, productSalt, r)
	v.n(50000) // the price, drawn first in renderProduct
	return v.pct(85)
}

func productsV1Def() *streamDef {
	return additive(&streamDef{
		name: "products", path: "/v1/products", key: "products", v1: true, maxPage: 1000,
		eqFilters: map[string]func(s *Server, r *rec) string{
			"active": func(s *Server, r *rec) string { return strconv.FormatBool(s.productActive(r)) },
		},
		render: apiV1.renderProduct,
	}, "id")
}

// ---- subscriptions ----

func subscriptionsV1Def() *streamDef {
	return additive(&streamDef{
		name: "subscriptions", path: "/v1/subscriptions", key: "subscriptions", v1: true, maxPage: 1000,
		eqFilters: map[string]func(s *Server, r *rec) string{
			"contact_id": func(s *Server, r *rec) string { return idString(s.subscriptionContact(r)) },
		},
		render: apiV1.renderSubscription,
	}, "id")
}

// ---- transactions (v1) ----

func (s *Server) transactionContact(r *rec) int64 {
	st := stable(s, transactionSalt, r)
	return s.refID("contacts", &st)
}

// renderTransaction renders a v1 transaction. transaction_date is the
// record's update time: it is what since/until bound.
func renderTransaction(s *Server, o *obj, r *rec, _ fieldMask) {
	st := stable(s, transactionSalt, r)
	v := varying(s, transactionSalt, r)
	o.int("id", r.id)
	o.float("amount", float64(100+st.n(50000))/100)
	o.str("collection_method", []string{"AUTOMATIC", "MANUAL"}[st.n(2)])
	o.int("contact_id", s.transactionContact(r))
	o.str("currency", "USD")
	o.str("gateway", []string{"Stripe", "Keap Payments", "PayPal"}[st.n(3)])
	o.str("gateway_account_name", "Main account")
	if oid := s.refID("orders", &st); oid != 0 {
		o.str("order_ids", strconv.FormatInt(oid, 10))
	}
	o.raw("orders", []byte("[]"))
	o.str("status", []string{"Completed", "Completed", "Pending", "Failed"}[v.n(4)])
	o.bool("test", false)
	o.timeV1("transaction_date", r.updated)
	o.str("type", "Sale")
}

func transactionsDef() *streamDef {
	return additive(&streamDef{
		name: "transactions", path: "/v1/transactions", key: "transactions", v1: true, maxPage: 1000,
		salt: transactionSalt, firstID: 1, scale: func(n int) int { return max(3, n/5) }, spanDays: 5 * 365,
		timeFilters: map[string]timeFilter{"since": tf(false, false), "until": tf(false, true)},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"contact_id": func(s *Server, r *rec) string { return strconv.FormatInt(s.transactionContact(r), 10) },
		},
		render: renderTransaction,
	}, "id")
}
