package keapsim

import "strconv"

// The v1 lists of sales records: orders, products, subscriptions and
// transactions (the one v1 stream of the catalogue). See v1Defs.

// ---- orders ----

func (s *Server) orderStatus(r *rec) string {
	v := varying(s, orderSalt, r)
	return v.pick(orderStatuses)
}

// renderOrderV1 draws as renderOrder does.
func renderOrderV1(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, orderSalt, r)
	st := stable(s, orderSalt, r)
	o.int("id", r.id)
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
	o.float("total", float64(total)/100)
	cid := s.orderContact(r)
	o.key("contact")
	o.b = s.appendContactSummaryV1(o.b, cid)
	if v.pct(20) {
		o.str("notes", text(&v, 6))
	}
	o.str("order_type", []string{"Online", "Offline"}[st.n(2)])
	o.str("source_type", []string{"API", "CHECKOUT_FORM", "INVOICE", "MANUAL_PAYMENT"}[st.n(4)])
	o.timeV1("creation_date", r.created)
	o.timeV1("modification_date", r.updated)
	o.timeV1("order_date", r.created)
	paid := int64(0)
	if status == "PAID" {
		paid = total
	}
	o.float("total_paid", float64(paid)/100)
	o.float("total_due", float64(total-paid)/100)
	o.float("refund_total", 0)
	o.bool("recurring", false)
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
		it.int("id", r.id*10+int64(i))
		it.str("name", pr.pick(productNames))
		it.int("quantity", 1)
		it.float("price", float64(prices[i])/100)
		it.float("cost", float64(prices[i]/3)/100)
		it.str("type", "Product")
		if pid != 0 {
			it.key("product")
			it.b = append(it.b, `{"id":`...)
			it.b = strconv.AppendInt(it.b, pid, 10)
			it.b = append(it.b, `,"sku":`...)
			it.b = appendString(it.b, "SKU-"+pad4(int(pid%10000)))
			it.b = append(it.b, '}')
		}
		o.b = it.end()
	}
	o.b = append(o.b, ']')
	o.int("invoice_number", r.id+1000)
	o.bool("allow_payment", true)
	o.bool("allow_paypal", false)
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
		render: renderOrderV1,
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
