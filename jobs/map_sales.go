package jobs

import (
	"github.com/keapsync/keapsync/warehouse"
)

// The sales streams: products, opportunities, orders and their items,
// subscriptions, payments and (v1) transactions. Amounts are jMoney: v2's
// CurrencyValue objects count the currency's smallest unit, plain numbers
// and numeric strings its main unit; both land in main units.

type productJSON struct {
	Name             jText  `json:"name"`
	NameV1           jText  `json:"product_name"`
	SKU              jText  `json:"sku"`
	Active           jBool  `json:"active"`
	Price            jMoney `json:"price"`
	PriceV1          jMoney `json:"product_price"`
	CurrencyCode     jText  `json:"currency_code"`
	Shippable        jBool  `json:"shippable"`
	Taxable          jBool  `json:"taxable"`
	Weight           jNum   `json:"weight"`
	SubscriptionOnly jBool  `json:"subscription_only"`
	IsPackage        jBool  `json:"is_package"`
	ShortDescription jText  `json:"short_description"`
	ShortDescV1      jText  `json:"product_short_desc"`
	CreateTime       jTime  `json:"create_time"`
	UpdateTime       jTime  `json:"update_time"`
}

func mapProduct(m *rowMapper, raw []byte) warehouse.TableRow {
	var r productJSON
	m.decode(raw, &r)
	row := &warehouse.ProductsRow{
		SKU:              m.text("sku", &r.SKU),
		Active:           m.boolean("active", &r.Active),
		Shippable:        m.boolean("shippable", &r.Shippable),
		Taxable:          m.boolean("taxable", &r.Taxable),
		Weight:           m.decimal("weight", &r.Weight),
		SubscriptionOnly: m.boolean("subscription_only", &r.SubscriptionOnly),
		IsPackage:        m.boolean("is_package", &r.IsPackage),
		CreateTime:       m.timestamp("create_time", &r.CreateTime),
		UpdateTime:       m.timestamp("update_time", &r.UpdateTime),
	}
	if r.Name.st != absent {
		row.Name = m.text("name", &r.Name)
	} else {
		row.Name = m.text("product_name", &r.NameV1)
	}
	if r.ShortDescription.st != absent {
		row.ShortDescription = m.text("short_description", &r.ShortDescription)
	} else {
		row.ShortDescription = m.text("product_short_desc", &r.ShortDescV1)
	}
	if r.Price.st != absent {
		row.Price = m.money("price", &r.Price)
		row.CurrencyCode = m.text("price.currency_code", &r.Price.currency)
	} else {
		row.Price = m.money("product_price", &r.PriceV1)
	}
	if row.CurrencyCode == nil {
		row.CurrencyCode = m.text("currency_code", &r.CurrencyCode)
	}
	return row
}

// stageJSON is an opportunity's pipeline stage.
type stageJSON struct {
	ID   jInt  `json:"id"`
	Name jText `json:"name"`
}

type opportunityJSON struct {
	Title                jText     `json:"opportunity_title"`
	Contact              idRef     `json:"contact"`
	User                 idRef     `json:"user"`
	Stage                stageJSON `json:"stage"`
	Status               jText     `json:"status"`
	StatusID             jInt      `json:"status_id"`
	ProjectedRevenueLow  jMoney    `json:"projected_revenue_low"`
	ProjectedRevenueHigh jMoney    `json:"projected_revenue_high"`
	MonthlyRevenue       jMoney    `json:"monthly_revenue"`
	OrderRevenue         jMoney    `json:"order_revenue"`
	IncludeInForecast    jBool     `json:"include_in_forecast"`
	LeadSource           jText     `json:"lead_source"`
	AffiliateID          jInt      `json:"affiliate_id"`
	EstimatedCloseTime   jTime     `json:"estimated_close_time"`
	EstimatedCloseDateV1 jTime     `json:"estimated_close_date"`
	NextActionTime       jTime     `json:"next_action_time"`
	NextActionDateV1     jTime     `json:"next_action_date"`
	StageEntranceTime    jTime     `json:"stage_entrance_time"`
	CreatedTime          jTime     `json:"created_time"`
	DateCreatedV1        jTime     `json:"date_created"`
	LastUpdatedTime      jTime     `json:"last_updated_time"`
	LastUpdatedV1        jTime     `json:"last_updated"`
}

func mapOpportunity(m *rowMapper, raw []byte) warehouse.TableRow {
	var r opportunityJSON
	m.decode(raw, &r)
	row := &warehouse.OpportunitiesRow{
		Title:                m.text("opportunity_title", &r.Title),
		Status:               m.text("status", &r.Status),
		StatusID:             m.bigint("status_id", &r.StatusID),
		ProjectedRevenueLow:  m.money("projected_revenue_low", &r.ProjectedRevenueLow),
		ProjectedRevenueHigh: m.money("projected_revenue_high", &r.ProjectedRevenueHigh),
		MonthlyRevenue:       m.money("monthly_revenue", &r.MonthlyRevenue),
		OrderRevenue:         m.money("order_revenue", &r.OrderRevenue),
		IncludeInForecast:    m.boolean("include_in_forecast", &r.IncludeInForecast),
		LeadSource:           m.text("lead_source", &r.LeadSource),
		AffiliateID:          m.bigint("affiliate_id", &r.AffiliateID),
		StageEntranceTime:    m.timestamp("stage_entrance_time", &r.StageEntranceTime),
	}
	row.ContactID = m.bigint("contact.id", &r.Contact.ID)
	row.UserID = m.bigint("user.id", &r.User.ID)
	row.StageID = m.bigint("stage.id", &r.Stage.ID)
	row.StageName = m.text("stage.name", &r.Stage.Name)
	row.EstimatedCloseTime = timeEither(m, "estimated_close_time", &r.EstimatedCloseTime, "estimated_close_date", &r.EstimatedCloseDateV1)
	row.NextActionTime = timeEither(m, "next_action_time", &r.NextActionTime, "next_action_date", &r.NextActionDateV1)
	row.CreatedTime = timeEither(m, "created_time", &r.CreatedTime, "date_created", &r.DateCreatedV1)
	row.LastUpdatedTime = timeEither(m, "last_updated_time", &r.LastUpdatedTime, "last_updated", &r.LastUpdatedV1)
	return row
}

// orderItemJSON is an OrderItem.
type orderItemJSON struct {
	ID             jInt       `json:"id"`
	Name           jText      `json:"name"`
	Description    jText      `json:"description"`
	ItemType       jText      `json:"item_type"`
	Quantity       jInt       `json:"quantity"`
	PricePerUnit   jMoney     `json:"price_per_unit"`
	CostPerUnit    jMoney     `json:"cost_per_unit"`
	Discount       jMoney     `json:"discount"`
	Product        productRef `json:"product"`
	SubscriptionID jInt       `json:"subscription_id"`
}

// productRef is the product of an order item.
type productRef struct {
	ID  jInt  `json:"id"`
	SKU jText `json:"sku"`
}

type orderJSON struct {
	Title            jText           `json:"title"`
	Status           jText           `json:"status"`
	Contact          idRef           `json:"contact"`
	ContactID        jInt            `json:"contact_id"`
	OrderType        jText           `json:"order_type"`
	SourceType       jText           `json:"source_type"`
	CurrencyCode     jText           `json:"currency_code"`
	Total            jMoney          `json:"total"`
	TotalPaid        jMoney          `json:"total_paid"`
	TotalDue         jMoney          `json:"total_due"`
	RefundTotal      jMoney          `json:"refund_total"`
	InvoiceNumber    jText           `json:"invoice_number"`
	PromoCode        jText           `json:"promo_code"`
	LeadAffiliateID  jInt            `json:"lead_affiliate_id"`
	SalesAffiliateID jInt            `json:"sales_affiliate_id"`
	OrderTime        jTime           `json:"order_time"`
	DueTime          jTime           `json:"due_time"`
	SentTime         jTime           `json:"sent_time"`
	CreationTime     jTime           `json:"creation_time"`
	ModificationTime jTime           `json:"modification_time"`
	OrderItems       []orderItemJSON `json:"order_items"`
}

func mapOrder(m *rowMapper, raw []byte) warehouse.TableRow {
	var r orderJSON
	m.decode(raw, &r)
	row := &warehouse.OrdersRow{
		Title:            m.text("title", &r.Title),
		Status:           m.text("status", &r.Status),
		OrderType:        m.text("order_type", &r.OrderType),
		SourceType:       m.text("source_type", &r.SourceType),
		Total:            m.money("total", &r.Total),
		TotalPaid:        m.money("total_paid", &r.TotalPaid),
		TotalDue:         m.money("total_due", &r.TotalDue),
		RefundTotal:      m.money("refund_total", &r.RefundTotal),
		InvoiceNumber:    m.text("invoice_number", &r.InvoiceNumber),
		PromoCode:        m.text("promo_code", &r.PromoCode),
		LeadAffiliateID:  m.bigint("lead_affiliate_id", &r.LeadAffiliateID),
		SalesAffiliateID: m.bigint("sales_affiliate_id", &r.SalesAffiliateID),
		OrderTime:        m.timestamp("order_time", &r.OrderTime),
		DueTime:          m.timestamp("due_time", &r.DueTime),
		SentTime:         m.timestamp("sent_time", &r.SentTime),
		CreationTime:     m.timestamp("creation_time", &r.CreationTime),
		ModificationTime: m.timestamp("modification_time", &r.ModificationTime),
	}
	row.ContactID = m.bigint("contact.id", &r.Contact.ID)
	if row.ContactID == nil {
		row.ContactID = m.bigint("contact_id", &r.ContactID)
	}
	// The order's currency: its own field, else that of its amounts.
	row.CurrencyCode = m.text("currency_code", &r.CurrencyCode)
	for _, a := range []struct {
		name string
		v    *jMoney
	}{{"total", &r.Total}, {"total_paid", &r.TotalPaid}, {"total_due", &r.TotalDue}} {
		if row.CurrencyCode == nil {
			row.CurrencyCode = m.text(a.name+".currency_code", &a.v.currency)
		}
	}

	row.Items = childRows(m, "order_items", r.OrderItems, func(it *orderItemJSON) warehouse.OrderItemsRow {
		return warehouse.OrderItemsRow{
			ItemID:         m.bigint("id", &it.ID),
			Name:           m.text("name", &it.Name),
			Description:    m.text("description", &it.Description),
			ItemType:       m.text("item_type", &it.ItemType),
			Quantity:       m.integer("quantity", &it.Quantity),
			PricePerUnit:   m.money("price_per_unit", &it.PricePerUnit),
			CostPerUnit:    m.money("cost_per_unit", &it.CostPerUnit),
			Discount:       m.money("discount", &it.Discount),
			SubscriptionID: m.bigint("subscription_id", &it.SubscriptionID),
			ProductID:      m.bigint("product.id", &it.Product.ID),
			SKU:            m.text("product.sku", &it.Product.SKU),
		}
	})
	return row
}

type subscriptionJSON struct {
	ContactID          jInt   `json:"contact_id"`
	ProductID          jInt   `json:"product_id"`
	SubscriptionPlanID jInt   `json:"subscription_plan_id"`
	Active             jBool  `json:"active"`
	Quantity           jInt   `json:"quantity"`
	BillingAmount      jMoney `json:"billing_amount"`
	BillingCycle       jText  `json:"billing_cycle"`
	BillingFrequency   jInt   `json:"billing_frequency"`
	AutoCharge         jBool  `json:"auto_charge"`
	PaymentMethodID    jInt   `json:"payment_method_id"`
	ReasonStopped      jText  `json:"reason_stopped"`
	PromoCode          jText  `json:"promo_code"`
	StartDate          jDate  `json:"start_date"`
	LastBillDate       jDate  `json:"last_bill_date"`
	NextBillDate       jDate  `json:"next_bill_date"`
	EndDate            jDate  `json:"end_date"`
	ModificationTime   jTime  `json:"modification_time"`
}

func mapSubscription(m *rowMapper, raw []byte) warehouse.TableRow {
	var r subscriptionJSON
	m.decode(raw, &r)
	return &warehouse.SubscriptionsRow{
		ContactID:          m.bigint("contact_id", &r.ContactID),
		ProductID:          m.bigint("product_id", &r.ProductID),
		SubscriptionPlanID: m.bigint("subscription_plan_id", &r.SubscriptionPlanID),
		Active:             m.boolean("active", &r.Active),
		Quantity:           m.bigint("quantity", &r.Quantity),
		BillingAmount:      m.money("billing_amount", &r.BillingAmount),
		BillingCycle:       m.text("billing_cycle", &r.BillingCycle),
		BillingFrequency:   m.integer("billing_frequency", &r.BillingFrequency),
		AutoCharge:         m.boolean("auto_charge", &r.AutoCharge),
		PaymentMethodID:    m.bigint("payment_method_id", &r.PaymentMethodID),
		ReasonStopped:      m.text("reason_stopped", &r.ReasonStopped),
		PromoCode:          m.text("promo_code", &r.PromoCode),
		StartDate:          m.date("start_date", &r.StartDate),
		LastBillDate:       m.date("last_bill_date", &r.LastBillDate),
		NextBillDate:       m.date("next_bill_date", &r.NextBillDate),
		EndDate:            m.date("end_date", &r.EndDate),
		ModificationTime:   m.timestamp("modification_time", &r.ModificationTime),
	}
}

type paymentJSON struct {
	ContactID             jInt    `json:"contact_id"`
	Amount                jMoney  `json:"amount"`
	Type                  jText   `json:"type"`
	Status                jText   `json:"status"`
	OrderIDs              jIDList `json:"order_ids"`
	RefundPaymentID       jInt    `json:"refund_payment_id"`
	MerchantAccountType   jText   `json:"merchant_account_type"`
	ExternalTransactionID jText   `json:"external_transaction_id"`
	Note                  jText   `json:"note"`
	PaymentTime           jTime   `json:"payment_time"`
	UpdateTime            jTime   `json:"update_time"`
}

func mapPayment(m *rowMapper, raw []byte) warehouse.TableRow {
	var r paymentJSON
	m.decode(raw, &r)
	return &warehouse.PaymentsRow{
		ContactID:             m.bigint("contact_id", &r.ContactID),
		Amount:                m.money("amount", &r.Amount),
		Type:                  m.text("type", &r.Type),
		Status:                m.text("status", &r.Status),
		OrderIDs:              m.idList("order_ids", &r.OrderIDs),
		RefundPaymentID:       m.bigint("refund_payment_id", &r.RefundPaymentID),
		MerchantAccountType:   m.text("merchant_account_type", &r.MerchantAccountType),
		ExternalTransactionID: m.text("external_transaction_id", &r.ExternalTransactionID),
		Note:                  m.text("note", &r.Note),
		PaymentTime:           m.timestamp("payment_time", &r.PaymentTime),
		UpdateTime:            m.timestamp("update_time", &r.UpdateTime),
	}
}

// transactionJSON is a v1 transaction (GET /v1/transactions).
type transactionJSON struct {
	ContactID          jInt    `json:"contact_id"`
	Amount             jMoney  `json:"amount"`
	Currency           jText   `json:"currency"`
	Status             jText   `json:"status"`
	Type               jText   `json:"type"`
	Gateway            jText   `json:"gateway"`
	GatewayAccountName jText   `json:"gateway_account_name"`
	CollectionMethod   jText   `json:"collection_method"`
	Test               jBool   `json:"test"`
	OrderIDs           jIDList `json:"order_ids"`
	TransactionDate    jTime   `json:"transaction_date"`
}

func mapTransaction(m *rowMapper, raw []byte) warehouse.TableRow {
	var r transactionJSON
	m.decode(raw, &r)
	return &warehouse.TransactionsRow{
		ContactID:          m.bigint("contact_id", &r.ContactID),
		Amount:             m.money("amount", &r.Amount),
		Currency:           m.text("currency", &r.Currency),
		Status:             m.text("status", &r.Status),
		Type:               m.text("type", &r.Type),
		Gateway:            m.text("gateway", &r.Gateway),
		GatewayAccountName: m.text("gateway_account_name", &r.GatewayAccountName),
		CollectionMethod:   m.text("collection_method", &r.CollectionMethod),
		Test:               m.boolean("test", &r.Test),
		OrderIDs:           m.idList("order_ids", &r.OrderIDs),
		TransactionDate:    m.timestamp("transaction_date", &r.TransactionDate),
	}
}
