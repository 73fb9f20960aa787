package jobs

import (
	"fmt"
	"strconv"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse"
)

// mappedPage is a page's records as the warehouse takes them.
type mappedPage struct {
	rows     []warehouse.Row
	ids      []int64
	problems int
}

// mapPage maps a page's records: to rows for a sync, to ids alone for a
// reconciliation. A record whose id is not an integer fails the page.
func mapPage(s keap.Stream, kind warehouse.RunKind, recs []keap.Record) (mappedPage, error) {
	m := mappedPage{ids: make([]int64, 0, len(recs))}
	for i, r := range recs {
		id, err := strconv.ParseInt(r.ID, 10, 64)
		if err != nil {
			return mappedPage{}, &keap.BodyError{Problem: keap.BodyBadRecord, Detail: fmt.Sprintf("record %d: id %.40q is not an integer", i, r.ID)}
		}
		m.ids = append(m.ids, id)
		if kind == warehouse.RunReconcile {
			continue
		}
		row := mapRecord(s, id, r)
		m.problems += len(row.Problems)
		m.rows = append(m.rows, row)
	}
	return m, nil
}

// mapRecord turns a record into its row. (A stopgap storing the raw record
// only, until the typed per-stream mappers land.)
func mapRecord(s keap.Stream, id int64, r keap.Record) warehouse.Row {
	var v warehouse.TableRow
	switch s.Name {
	case "contacts":
		v = &warehouse.ContactsRow{}
	case "companies":
		v = &warehouse.CompaniesRow{}
	case "tag_categories":
		v = &warehouse.TagCategoriesRow{}
	case "tags":
		v = &warehouse.TagsRow{}
	case "opportunities":
		v = &warehouse.OpportunitiesRow{}
	case "orders":
		v = &warehouse.OrdersRow{}
	case "products":
		v = &warehouse.ProductsRow{}
	case "subscriptions":
		v = &warehouse.SubscriptionsRow{}
	case "payments":
		v = &warehouse.PaymentsRow{}
	case "transactions":
		v = &warehouse.TransactionsRow{}
	case "notes":
		v = &warehouse.NotesRow{}
	case "tasks":
		v = &warehouse.TasksRow{}
	case "campaigns":
		v = &warehouse.CampaignsRow{}
	case "users":
		v = &warehouse.UsersRow{}
	case "contact_custom_fields":
		v = &warehouse.ContactCustomFieldsRow{}
	case "company_custom_fields":
		v = &warehouse.CompanyCustomFieldsRow{}
	case "opportunity_custom_fields":
		v = &warehouse.OpportunityCustomFieldsRow{}
	case "order_custom_fields":
		v = &warehouse.OrderCustomFieldsRow{}
	}
	return warehouse.Row{ID: id, Raw: r.Raw, Values: v}
}
