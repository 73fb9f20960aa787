package jobs

import (
	"github.com/keapsync/keapsync/warehouse"
)

// The sales streams: products, opportunities, orders and their items,
// subscriptions, payments and (v1) transactions. Amounts are jMoney: v2's
// CurrencyValue objects count the currency's smallest unit, plain numbers
// and numeric strings its main unit; both land in main units.

// productsExtra are the fields of a product its hook reads besides its
// columns'.
type productsExtra struct {
	CurrencyCode jText `json:"currency_code"`
}

// productsHook fills the product's currency: its v2 price's, else its own
// field.
func productsHook(m *rowMapper, r *productsRecord, row *warehouse.ProductsRow) {
	if held(r.Price.st) {
		row.CurrencyCode = m.text("price.currency_code", &r.Price.currency)
	}
	if row.CurrencyCode == nil {
		row.CurrencyCode = m.text("currency_code", &r.CurrencyCode)
	}
}

// ordersExtra are the fields of an order its hook reads besides its
// columns': its own currency (the amounts' are in the generated record).
type ordersExtra struct {
	CurrencyCode jText `json:"currency_code"`
}

// ordersHook fills the order's currency: its own field, else that of its
// amounts (v2's currency objects).
func ordersHook(m *rowMapper, r *ordersRecord, row *warehouse.OrdersRow) {
	row.CurrencyCode = m.text("currency_code", &r.CurrencyCode)
	for _, a := range []struct {
		name string
		v    *jMoney
	}{{"total", &r.Total}, {"total_paid", &r.TotalPaid}, {"total_due", &r.TotalDue}} {
		if row.CurrencyCode == nil {
			row.CurrencyCode = m.text(a.name+".currency_code", &a.v.currency)
		}
	}
}
