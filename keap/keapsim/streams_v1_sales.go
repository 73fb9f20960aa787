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

// renderProductV1 draws as renderProduct does.
func renderProductV1(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, productSalt, r)
	o.int("id", r.id)
	o.str("product_name", s.productName(r))
	cents := int64(500 + v.n(50000))
	o.float("product_price", float64(cents)/100)
	status := int64(0)
	if v.pct(85) {
		status = 1
	}
	o.int("status", status)
	if v.pct(70) {
		o.key("product_desc")
		o.b = appendLongText(o.b, &v)
	}
	o.str("sku", productSKU(r))
	v.pct(40) // shippable and taxable are not in the v1 list record
	v.pct(60)
	if v.pct(50) {
		o.str("product_short_desc", text(&v, 3))
	}
	o.bool("subscription_only", v.pct(10))
	o.raw("product_options", []byte("[]"))
	o.raw("subscription_plans", []byte("[]"))
}

func productsV1Def() *streamDef {
	return additive(&streamDef{
		name: "products", path: "/v1/products", key: "products", v1: true, maxPage: 1000,
		eqFilters: map[string]func(s *Server, r *rec) string{
			"active": func(s *Server, r *rec) string { return strconv.FormatBool(s.productActive(r)) },
		},
		render: renderProductV1,
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
