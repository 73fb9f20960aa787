package jobs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse"
)

func TestMapRecord_EveryStreamHasAMapperForItsTable(t *testing.T) {
	t.Parallel()
	for _, s := range keap.Streams {
		row := mapRecord(s, 7, keap.Record{ID: 7, Raw: []byte(`{"id":"7"}`)})
		if row.Values == nil || row.Values.TableName() != s.Name {
			t.Errorf("%s: values %T, want the row type of table %s", s.Name, row.Values, s.Name)
		}
		if row.ID != 7 || string(row.Raw) != `{"id":"7"}` || len(row.Problems) != 0 {
			t.Errorf("%s: row %+v", s.Name, row)
		}
	}
	if len(recordMappers) != len(keap.Streams) {
		t.Errorf("%d mappers for %d streams", len(recordMappers), len(keap.Streams))
	}
}

// specExample reads testdata/spec/<file>.json: the record built from the
// spec's examples.
func specExample(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "spec", file+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Source string          `json:"source"`
		Record json.RawMessage `json:"record"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Source == "" || len(doc.Record) == 0 {
		t.Fatalf("%s: fixture without source or record (%v)", file, err)
	}
	return doc.Record
}

func TestMapRecord_SpecExamples(t *testing.T) {
	t.Parallel()
	customField := warehouse.ContactCustomFieldsRow{
		Label: new("Favorite Color"), FieldName: new("firstName1"), GroupID: new(int64(45)), GroupName: new("Personal Info"),
	}
	tests := []struct {
		stream, file string
		want         warehouse.TableRow
		problems     []string
	}{
		{stream: "users", file: "users", want: &warehouse.UsersRow{
			GivenName: new("John"), FamilyName: new("Smith"), Email: new("john.smith@example.com"), Status: new("ACTIVE"),
			Admin: new(true), Partner: new(false), Title: new("Sales Manager"), CompanyName: new("Acme Corp"),
			CreateTime: new(ts("2024-05-21T14:30:00Z")), UpdateTime: new(ts("2024-05-21T15:00:00Z")),
		}, problems: []string{"global_user_id"}}, // the spec's example is "usr_abc123"
		{stream: "tag_categories", file: "tag_categories", want: &warehouse.TagCategoriesRow{
			Name: new("Customer Segments"), Description: new("Tags for customer segmentation"),
			CreateTime: new(ts("2024-01-10T08:00:00Z")), UpdateTime: new(ts("2024-03-15T10:30:00Z")),
		}},
		{stream: "tags", file: "tags", want: &warehouse.TagsRow{
			Name: new("VIP Customer"), Description: new("High-value customers"), CategoryID: new(int64(123)),
			CreateTime: new(ts("2024-01-10T08:00:00Z")), UpdateTime: new(ts("2024-03-15T10:30:00Z")),
		}},
		{stream: "companies", file: "companies", want: &warehouse.CompaniesRow{
			CompanyName: new("Thryv"), Email: new("john.smith@example.com"), Phone: new("5551234567"),
			Website: new("https://www.thryv.com"), OwnerID: new(int64(45)), Locality: new("Phoenix"), Region: new("Arizona"),
			PostalCode: new("85001"), CountryCode: new("USA"), Notes: new("Key enterprise client since 2020"),
			CreateTime: new(ts("2024-01-10T08:00:00Z")), UpdateTime: new(ts("2024-03-15T10:30:00Z")),
		}},
		{stream: "contacts", file: "contacts", want: &warehouse.ContactsRow{
			GivenName: new("John"), MiddleName: new("Robert"), FamilyName: new("Smith"), PreferredName: new("Johnny"),
			Prefix: new("Dr."), Suffix: new("Jr"), JobTitle: new("Senior Software Engineer"),
			CompanyID: new(int64(100)), CompanyName: new("Thryv"), OwnerID: new(int64(45)), ContactType: new("Prospect"),
			LeadsourceID: new(int64(12)), Email: new("john.smith@example.com"), Phone: new("5551234567"),
			Website: new("https://thryv.com"), TimeZone: new("America/New_York"), PreferredLocale: new("en_US"),
			ScoreValue: new("85"), ReferralCode: new("REF2024ABC"), SpouseName: new("Jane Smith"),
			BirthDate: new(day("1985-03-15")), AnniversaryDate: new(day("2015-06-20")),
			CreateTime: new(ts("2024-01-10T08:00:00Z")), UpdateTime: new(ts("2024-03-15T10:30:00Z")),
			EmailAddresses: []warehouse.ContactEmailAddressesRow{{
				Field: new("EMAIL1"), Email: new("john.smith@example.com"), OptInReason: new("Subscribed via website form"),
			}},
			PhoneNumbers: []warehouse.ContactPhoneNumbersRow{{
				Field: new("PHONE1"), Number: new("5551234567"), NumberE164: new("+15551234567"), Extension: new("101"), Type: new("Work"),
			}},
			Addresses: []warehouse.ContactAddressesRow{{
				Field: new("BILLING"), Line1: new("123"), Line2: new("Suite 100"), Locality: new("Phoenix"), Region: new("Arizona"),
				RegionCode: new("US-AZ"), PostalCode: new("85001"), CountryCode: new("USA"),
			}},
		}},
		{stream: "contacts", file: "contacts_v1", want: &warehouse.ContactsRow{
			PreferredLocale: new("en_US"),
		}, problems: []string{"anniversary"}}, // "yyyy-MM-dd" is a placeholder, not a date
		{stream: "products", file: "products", want: &warehouse.ProductsRow{
			Name: new("Premium Widget"), SKU: new("PROD-001"), Active: new(true), Price: dec("100.00"), CurrencyCode: new("USD"),
			Shippable: new(true), Taxable: new(true), Weight: dec("2.5"), SubscriptionOnly: new(false),
			ShortDescription: new("Premium widget"),
			SubscriptionPlans: []warehouse.ProductSubscriptionPlansRow{{
				PlanID: new(int64(1)), Active: new(true), Prorate: new(false), BillingCycle: new("MONTHLY"),
				BillingFrequency: new(int32(1)), NumberOfCycles: new(int32(12)), PlanPrice: dec("100.00"), OrderIndex: new(int32(0)),
			}},
		}},
		{stream: "opportunities", file: "opportunities", want: &warehouse.OpportunitiesRow{
			Title: new("New Business Deal"), ContactID: new(int64(1001)), UserID: new(int64(456)), StageID: new(int64(1)),
			StageName: new("Qualified"), Status: new("Active"), StatusID: new(int64(123)),
			ProjectedRevenueLow: dec("5000"), ProjectedRevenueHigh: dec("10000"), MonthlyRevenue: dec("500"), OrderRevenue: dec("2500"),
			IncludeInForecast: new(true), LeadSource: new("Web Form"), AffiliateID: new(int64(456)),
			EstimatedCloseTime: new(ts("2024-04-15T00:00:00Z")), NextActionTime: new(ts("2024-03-20T10:00:00Z")),
			StageEntranceTime: new(ts("2024-03-20T10:00:00Z")), CreatedTime: new(ts("2024-01-10T08:00:00Z")),
			LastUpdatedTime: new(ts("2024-03-15T14:30:00Z")),
		}},
		{stream: "orders", file: "orders", want: &warehouse.OrdersRow{
			Title: new("Online Order #1234"), Status: new("PAID"), OrderType: new("ONLINE"), SourceType: new("API"),
			CurrencyCode: new("USD"), Total: dec("100.00"), TotalPaid: dec("100.00"), TotalDue: dec("100.00"), RefundTotal: dec("100.00"),
			InvoiceNumber: new("1001"), PromoCode: new("SUMMER20"), LeadAffiliateID: new(int64(456)), SalesAffiliateID: new(int64(789)),
			OrderTime: new(ts("2024-05-21T14:30:00Z")), DueTime: new(ts("2024-06-20T14:30:00Z")), SentTime: new(ts("2024-05-21T14:30:00Z")),
			CreationTime: new(ts("2024-05-21T14:30:00Z")), ModificationTime: new(ts("2024-05-21T14:30:00Z")),
			Items: []warehouse.OrderItemsRow{{
				ItemID: new(int64(456)), Name: new("Premium Widget"), Description: new("High-quality widget with warranty"),
				ItemType: new("PRODUCT"), Quantity: new(int32(2)), PricePerUnit: dec("100.00"), CostPerUnit: dec("100.00"),
				Discount: dec("100.00"), ProductID: new(int64(123)), SKU: new("WDG-001"), SubscriptionID: new(int64(123)),
			}},
		}},
		{stream: "subscriptions", file: "subscriptions", want: &warehouse.SubscriptionsRow{
			ContactID: new(int64(456)), ProductID: new(int64(789)), SubscriptionPlanID: new(int64(101)), Active: new(true),
			Quantity: new(int64(1)), BillingAmount: dec("10000"), BillingCycle: new("MONTH"), BillingFrequency: new(int32(30)),
			AutoCharge: new(true), PaymentMethodID: new(int64(456)), ReasonStopped: new("Customer requested cancellation"),
			PromoCode: new("PROMO123"), StartDate: new(day("2024-05-21")), LastBillDate: new(day("2024-05-21")),
			NextBillDate: new(day("2024-06-21")), EndDate: new(day("2025-05-21")), ModificationTime: new(ts("2025-06-15T10:30:00Z")),
		}},
		{stream: "payments", file: "payments", want: &warehouse.PaymentsRow{
			ContactID: new(int64(123)), Amount: dec("123.34"), Type: new("Credit Card"), Status: new("COMPLETED"),
			OrderIDs: []int64{123, 456}, RefundPaymentID: new(int64(123)), MerchantAccountType: new("PAYPAL"),
			ExternalTransactionID: new("txn_123"), PaymentTime: new(ts("2024-05-21T14:30:00Z")), UpdateTime: new(ts("2024-05-21T14:30:00Z")),
		}},
		{stream: "notes", file: "notes", want: &warehouse.NotesRow{
			ContactID: new(int64(1001)), Title: new("Sales Call"), Type: new("Call"), Text: new("Called about the Q3 proposal"),
			AssignedToUserID: new(int64(456)), CreatedByUserID: new(int64(789)), LastUpdatedByUserID: new(int64(456)),
			PinnedAt: new(ts("2024-02-18T16:45:00Z")), CreateTime: new(ts("2024-01-10T08:00:00Z")), UpdateTime: new(ts("2024-03-15T10:30:00Z")),
		}},
		{stream: "tasks", file: "tasks", want: &warehouse.TasksRow{
			Title: new("Follow up on proposal"), Description: new("Review and respond to client feedback."), Type: new("CALL"),
			Priority: new("CRITICAL"), Completed: new(false), ContactID: new(int64(1001)), OpportunityID: new(int64(321)),
			AssignedToUserID: new(int64(456)), CreatedByUserID: new(int64(789)), RemindTimeMins: new(int32(30)),
			DueTime: new(ts("2024-03-18T17:00:00Z")), CompletionTime: new(ts("2024-03-20T14:00:00Z")),
			CreateTime: new(ts("2024-01-10T08:00:00Z")), ModificationTime: new(ts("2024-03-15T10:30:00Z")),
		}},
		{stream: "campaigns", file: "campaigns", want: &warehouse.CampaignsRow{
			Name: new("Summer Sale Campaign"), Locked: new(false), PublishedStatus: new(true), ActiveContactCount: new(int32(250)),
			CompletedContactCount: new(int32(1500)), TimeZone: new("America/New_York"),
			DateCreated: new(ts("2024-05-21T14:30:00Z")), PublishedDate: new(ts("2024-05-21T14:30:00Z")),
		}},
		{stream: "lead_source_categories", file: "lead_source_categories", want: &warehouse.LeadSourceCategoriesRow{
			Name: new("Paid Advertising"), Description: new("All paid marketing channels"),
			CreateTime: new(ts("2024-01-10T08:00:00Z")), UpdateTime: new(ts("2024-03-15T10:30:00Z")),
		}},
		{stream: "lead_sources", file: "lead_sources", want: &warehouse.LeadSourcesRow{
			Name: new("Google Ads"), Description: new("Paid search advertising"), Vendor: new("Google"), Medium: new("cpc"),
			Message: new("Spring promotion"), Status: new("ACTIVE"), LeadSourceCategoryID: new(int64(456)),
			StartTime: new(ts("2024-01-01T00:00:00Z")), EndTime: new(ts("2024-12-31T23:59:59Z")),
			CreateTime: new(ts("2024-01-10T08:00:00Z")), UpdateTime: new(ts("2024-03-15T10:30:00Z")),
		}},
		{stream: "product_categories", file: "product_categories", want: &warehouse.ProductCategoriesRow{
			Name: new("Electronics"), DisplayOrderIndex: new(int32(0)), ParentCategoryID: new(int64(2)),
		}},
		{stream: "contact_link_types", file: "contact_link_types", want: &warehouse.ContactLinkTypesRow{
			Name: new("Spouse"), MaxLinks: new(int64(1)), CreateTime: new(ts("2024-01-15T10:30:00Z")),
		}},
		{stream: "opportunity_stage_moves", file: "opportunity_stage_moves", want: &warehouse.OpportunityStageMovesRow{
			OpportunityID: new(int64(7)), MoveTime: new(ts("2024-03-15T10:30:00Z")), MoveFromStageID: new(int64(3)),
			MoveToStageID: new(int64(5)), PrevStageMoveTime: new(ts("2024-02-10T08:00:00Z")), UserID: new(int64(1)),
			CreatedBy: new(int64(1)), CreateTime: new(ts("2024-03-15T10:30:00Z")),
		}},
		{stream: "emails", file: "emails", want: &warehouse.EmailsRow{
			Subject: new("Welcome to our service"), Headers: new("X-Custom-Header: value"), ContactID: new(int64(456)),
			SentToAddress: new("john@example.com"), SentToCcAddresses: json.RawMessage(`["cc1@example.com", "cc2@example.com"]`),
			SentToBccAddresses: json.RawMessage(`["bcc@example.com"]`), SentFromAddress: new("sender@company.com"),
			SentFromReplyAddress: new("reply@company.com"), SentTime: new(ts("2024-05-21T14:30:00Z")),
			ReceivedTime: new(ts("2024-05-21T14:31:00Z")), OpenedTime: new(ts("2024-05-21T15:00:00Z")),
			ClickedTime: new(ts("2024-05-21T15:05:00Z")), OriginalProvider: new("INFUSIONSOFT"),
			OriginalProviderID: new("msg_abc123"), ProviderSourceID: new("sync@company.com"),
		}},
		{stream: "affiliates", file: "affiliates", want: &warehouse.AffiliatesRow{
			Code: new("M123"), Name: new("John Smith"), Status: new("ACTIVE"), ContactID: new(int64(1)), UniqueSiteID: new(int64(123456)),
			DateCreated: new(ts("2024-03-15T10:30:00Z")), ParentAffiliateID: new(int64(0)), NotifyOnSale: new(true), NotifyOnLead: new(true),
			TrackLeadsDays: new(int32(30)),
		}},
		{stream: "affiliate_summaries", file: "affiliate_summaries", want: &warehouse.AffiliateSummariesRow{
			AmountEarned: dec("1250.5"), Clawbacks: dec("50.25"), Balance: dec("400"),
		}},
		{stream: "affiliate_commission_programs", file: "affiliate_commission_programs", want: &warehouse.AffiliateCommissionProgramsRow{
			Name: new("commission program"), Priority: new(int32(0)), Notes: new("notes for the commission program"),
			CreateTime: new(ts("2019-08-24T14:15:22Z")), AffiliateIDs: json.RawMessage(`[123, 124]`),
		}},
		{stream: "affiliate_redirects", file: "affiliate_redirects", want: &warehouse.AffiliateRedirectsRow{
			Name: new("Fitness Program"), Code: new("fP100"), AffiliateID: new(int64(123)), LocalURLCode: new("fP100"),
			RedirectURL: new("https://thryv.com/fitness"), WebsiteAddress: new("https://thryv.com/fitness"),
			ProgramIDs: json.RawMessage(`["1", "2"]`), DateCreated: new(ts("2024-03-15T10:30:00Z")),
		}},
		{stream: "affiliate_referrals", file: "affiliate_referrals", want: &warehouse.AffiliateReferralsRow{
			Description: new("Referred via email campaign"), Source: new("Email Marketing"), ContactID: new(int64(1001)),
			ReferralPartnerID: new(int64(123)), ReferralTime: new(ts("2024-05-21T23:00:00Z")), ExpirationTime: new(ts("2024-08-21T23:00:00Z")),
			IPAddress: new("192.168.1.100"), ReferralType: new("COOKIE"),
		}},
		{stream: "affiliate_custom_fields", file: "custom_fields", want: new(warehouse.AffiliateCustomFieldsRow(customField))},
		{stream: "user_groups", file: "user_groups", want: &warehouse.UserGroupsRow{Name: new("Accounting")}},
		{stream: "automation_categories", file: "automation_categories", want: &warehouse.AutomationCategoriesRow{
			Name: new("Marketing Campaigns"), AutomationCount: new(int64(15)),
		}},
		{stream: "automations", file: "automations", want: &warehouse.AutomationsRow{
			Title: new("Welcome Email Sequence"), Categories: json.RawMessage(`["1", "2"]`), Status: new("PUBLISHED"), Locked: new(false),
			ActiveContacts: new(int32(150)), ErrorMessage: new("Invalid email template"), PublishedDate: new(ts("2024-05-21T14:30:00Z")),
			PublishedBy: new(int64(456)), PublishedTimezone: new("America/New_York"),
		}},
		{stream: "merchants", file: "merchants", want: &warehouse.MerchantsRow{Name: new("Stripe"), Type: new("STRIPE"), IsTest: new(false)}},
		{stream: "webforms", file: "webforms", want: &warehouse.WebformsRow{
			Xid: new("a1b2c3d4e5"), Name: new("Newsletter Signup Form"), FunnelID: new(int64(15)), CustomSlug: new("newsletter-signup"),
			WebformURL: new("https://thryv.com/app/form/a1b2c3d4e5"), PrettyWebformURL: new("https://thryv.com/app/form/newsletter-signup"),
			ThankYouPageURL: new("https://thryv.com/thank-you"), DuplicateCheckOption: new("EMAIL"), ExitOption: new("REDIRECT"),
			WebformType: new("STANDALONE"), CreateTime: new(ts("2024-01-15T10:30:00Z")), UpdateTime: new(ts("2024-06-20T14:45:00Z")),
		}},
		{stream: "email_templates", file: "email_templates", want: &warehouse.EmailTemplatesRow{
			PieceTitle: new("Welcome Email"), Categories: json.RawMessage(`["Marketing", "Onboarding"]`), FromAddress: new("~Owner.Email~"),
			ToAddress: new("~Contact.Email~"), CcAddress: new("manager@company.com"), BccAddress: new("archive@company.com"),
			Subject: new("Welcome ~Contact.FirstName~!"), ContentType: new("HTML"), MergeContext: new("Contact"),
		}},
		{stream: "shipping_methods", file: "shipping_methods", want: &warehouse.ShippingMethodsRow{
			Name: new("Express"), Description: new("Two-day delivery"), Type: new("FLAT_RATE"), Status: new("ACTIVE"),
			International: new(false),
		}},
		{stream: "contact_custom_fields", file: "custom_fields", want: &customField},
		{stream: "company_custom_fields", file: "custom_fields", want: new(warehouse.CompanyCustomFieldsRow(customField))},
		{stream: "opportunity_custom_fields", file: "custom_fields", want: new(warehouse.OpportunityCustomFieldsRow(customField))},
		{stream: "order_custom_fields", file: "custom_fields", want: new(warehouse.OrderCustomFieldsRow(customField))},
		{stream: "note_custom_fields", file: "custom_fields", want: new(warehouse.NoteCustomFieldsRow(customField))},
		{stream: "task_custom_fields", file: "custom_fields", want: new(warehouse.TaskCustomFieldsRow(customField))},
		{stream: "subscription_custom_fields", file: "custom_fields", want: new(warehouse.SubscriptionCustomFieldsRow(customField))},
	}
	for _, tt := range tests {
		t.Run(tt.stream+"/"+tt.file, func(t *testing.T) {
			t.Parallel()
			raw := specExample(t, tt.file)
			row := mapRecord(stream(t, tt.stream), 123, keap.Record{ID: 123, Raw: raw})
			for _, d := range rowDiff(row.Values, tt.want) {
				t.Error(d)
			}
			if got := problemFields(row.Problems); fmt.Sprint(got) != fmt.Sprint(tt.problems) && !(len(got) == 0 && len(tt.problems) == 0) {
				t.Errorf("problems %+v, want fields %v", row.Problems, tt.problems)
			}
			if !bytes.Equal(row.Raw, raw) {
				t.Error("raw changed")
			}
		})
	}
}

func TestMapRecord_UntypableValuesBecomeNULLWithAProblemAndOtherColumnsStay(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	tests := []struct {
		name, stream, raw string
		problems          map[string]string // field -> a part of the reason
		check             func(t *testing.T, row warehouse.TableRow)
	}{
		{
			name: "wrong types in a contact", stream: "contacts",
			raw: `{"given_name":"Ann","owner_id":"abc","birth_date":"31/02/1990","anniversary_date":"1990-02-31",
				"score_value":{"a":1},"company":{"id":1.5,"company_name":"Acme"},"update_time":"9999-12-31T23:59:59-01:00",
				"create_time":true,"leadsource_id":99999999999999999999,"email_addresses":"ann@example.com",
				"phone_numbers":[{"number":"555","field":"PHONE1"}],"tag_ids":["1","x",null,99999999999999999999,2]}`,
			problems: map[string]string{
				"owner_id": `not an integer: "\"abc\""`, "birth_date": "not a date", "anniversary_date": "not a date",
				"score_value": "not a string", "company.id": "not an integer", "update_time": "year 10000 out of range",
				"create_time": "not a timestamp", "leadsource_id": "out of the bigint range",
				"email_addresses": "not a list", "tag_ids[1]": "not an integer", "tag_ids[3]": "out of the bigint range",
			},
			check: func(t *testing.T, row warehouse.TableRow) {
				c := row.(*warehouse.ContactsRow)
				if *c.GivenName != "Ann" || *c.CompanyName != "Acme" || *c.Phone != "555" || c.OwnerID != nil || c.Email != nil {
					t.Errorf("contact %s", show(reflect.ValueOf(c)))
				}
				if len(c.Tags) != 5 || *c.Tags[0].TagID != 1 || c.Tags[1].TagID != nil || c.Tags[2].TagID != nil || *c.Tags[4].TagID != 2 {
					t.Errorf("tags %s, want 5 rows in the record's order", show(reflect.ValueOf(c.Tags)))
				}
			},
		},
		{
			name: "NUL characters and invalid UTF-8 in strings", stream: "contacts",
			raw: "{\"given_name\":\"A\\u0000B\",\"family_name\":\"Bad\xff\xfe\",\"middle_name\":\"ok \\u00e9\\n\"," +
				"\"email_addresses\":[{\"email\":\"x\\u0000@example.com\",\"field\":\"EMAIL1\"},{\"email\":\"y@example.com\"}]}",
			problems: map[string]string{
				"given_name": "contains a NUL character", "family_name": "not valid UTF-8",
				"email_addresses[0].email": "contains a NUL character",
			},
			check: func(t *testing.T, row warehouse.TableRow) {
				c := row.(*warehouse.ContactsRow)
				if c.GivenName != nil || c.FamilyName != nil || *c.MiddleName != "ok é\n" || *c.Email != "y@example.com" {
					t.Errorf("contact %s", show(reflect.ValueOf(c)))
				}
			},
		},
		{
			name: "nulls and missing fields are NULL without problems", stream: "orders",
			raw:      `{"title":null,"total":null,"contact":null,"order_items":null,"modification_time":""}`,
			problems: map[string]string{},
			check: func(t *testing.T, row warehouse.TableRow) {
				if d := rowDiff(row, &warehouse.OrdersRow{}); len(d) > 0 {
					t.Errorf("order: %v", d)
				}
			},
		},
		{
			name: "bad amounts and items of an order", stream: "orders",
			raw: `{"title":"T","total":{"amount":"abc","currency_code":"USD"},"total_paid":"abc","total_due":{"amount":123456789012345678901234567890,"currency_code":"USD"},
				"refund_total":{"amount":5,"currency_code":"JPY"},"contact":"12","order_items":["x",{"name":"ok","quantity":3000000000,"price_per_unit":{"amount":-1999}},{"product":{"id":[[[1]]]}}]}`,
			problems: map[string]string{
				"total": "amount not a number", "total_paid": "not a number", "contact": "not an object",
				"order_items[0]": "not an object", "order_items[1].quantity": "out of the integer range",
				"order_items[2].product.id": "not an integer",
			},
			check: func(t *testing.T, row warehouse.TableRow) {
				o := row.(*warehouse.OrdersRow)
				if *o.Title != "T" || o.Total != nil || *o.TotalDue != "1234567890123456789012345678.90" || *o.RefundTotal != "5" ||
					*o.CurrencyCode != "USD" || o.ContactID != nil {
					t.Errorf("order %s", show(reflect.ValueOf(o)))
				}
				if len(o.Items) != 3 || *o.Items[1].Name != "ok" || *o.Items[1].PricePerUnit != "-19.99" || o.Items[1].Quantity != nil {
					t.Errorf("items %s", show(reflect.ValueOf(o.Items)))
				}
			},
		},
		{
			name: "ids as numbers, strings and junk in a payment", stream: "payments",
			raw:      `{"contact_id":12,"amount":"12.50","order_ids":["1",2,"x"],"payment_time":1700000000000,"update_time":"2024-11-20T18:34:12.000+0000"}`,
			problems: map[string]string{"order_ids": "element 2 is not an id"},
			check: func(t *testing.T, row warehouse.TableRow) {
				p := row.(*warehouse.PaymentsRow)
				if *p.ContactID != 12 || *p.Amount != "12.50" || p.OrderIDs != nil ||
					!p.PaymentTime.Equal(time.UnixMilli(1700000000000)) || !p.UpdateTime.Equal(ts("2024-11-20T18:34:12Z")) {
					t.Errorf("payment %s", show(reflect.ValueOf(p)))
				}
			},
		},
		{
			name: "v1 transaction ids as a comma-separated string", stream: "transactions",
			raw:      `{"id":5,"contact_id":"7","amount":1e400,"order_ids":"3, 4","test":"true","transaction_date":"2024-11-20T18:34:12.000+0000"}`,
			problems: map[string]string{},
			check: func(t *testing.T, row warehouse.TableRow) {
				x := row.(*warehouse.TransactionsRow)
				if *x.ContactID != 7 || *x.Amount != "1e400" || fmt.Sprint(x.OrderIDs) != "[3 4]" || !*x.Test {
					t.Errorf("transaction %s", show(reflect.ValueOf(x)))
				}
			},
		},
		{
			name: "deeply nested junk where values belong and elsewhere", stream: "companies",
			raw:      `{"company_name":"Acme","owner_id":` + deep + `,"junk":{"a":` + deep + `},"address":{"locality":` + deep + `,"region":"AZ"}}`,
			problems: map[string]string{"owner_id": "not an integer", "address.locality": "not a string"},
			check: func(t *testing.T, row warehouse.TableRow) {
				c := row.(*warehouse.CompaniesRow)
				if *c.CompanyName != "Acme" || *c.Region != "AZ" || c.OwnerID != nil {
					t.Errorf("company %s", show(reflect.ValueOf(c)))
				}
			},
		},
		{
			name: "nesting past the JSON decoder's limit", stream: "tags",
			raw:      `{"name":"x","junk":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`,
			problems: map[string]string{"$": "not valid JSON"},
		},
		{
			name: "a record that is not an object", stream: "tasks", raw: `[{"title":"x"}]`,
			problems: map[string]string{"$": "not an object"},
		},
		{
			name: "long values are clipped in problems", stream: "users",
			raw:      `{"given_name":"` + strings.Repeat("é", 500) + `","global_user_id":"` + strings.Repeat("9", 500) + `","admin":"` + strings.Repeat("x", 500) + `"}`,
			problems: map[string]string{"global_user_id": "out of the bigint range", "admin": "not a boolean"},
			check: func(t *testing.T, row warehouse.TableRow) {
				if u := row.(*warehouse.UsersRow); len(*u.GivenName) != 1000 {
					t.Errorf("given_name has %d bytes, want all 1000", len(*u.GivenName))
				}
			},
		},
		{
			name: "a definition with options that are not a list", stream: "contact_custom_fields",
			raw:      `{"id":"9","label":"Colour","field_name":null,"options":"Red,Green","group_id":"g1","default_value":5}`,
			problems: map[string]string{"options": "not a list", "group_id": "not an integer"},
			check: func(t *testing.T, row warehouse.TableRow) {
				f := row.(*warehouse.ContactCustomFieldsRow)
				if *f.Label != "Colour" || f.FieldName != nil || f.Options != nil || *f.DefaultValue != "5" {
					t.Errorf("definition %s", show(reflect.ValueOf(f)))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			row := mapRaw(t, tt.stream, tt.raw)
			if row.Values == nil || row.Values.TableName() != tt.stream {
				t.Fatalf("values %T", row.Values)
			}
			if string(row.Raw) != tt.raw {
				t.Error("raw changed")
			}
			got := map[string]string{}
			for _, p := range row.Problems {
				got[p.Field] = p.Reason
				if len(p.Reason) > 120 || !utf8.ValidString(p.Reason) || strings.ContainsRune(p.Reason, 0) {
					t.Errorf("problem %s: reason of %d bytes %q: want a short clipped excerpt", p.Field, len(p.Reason), p.Reason)
				}
			}
			for field, reason := range tt.problems {
				if !strings.Contains(got[field], reason) {
					t.Errorf("problem of %s = %q, want one containing %q", field, got[field], reason)
				}
			}
			if len(got) != len(tt.problems) {
				t.Errorf("problems %+v, want %d", row.Problems, len(tt.problems))
			}
			if tt.check != nil {
				tt.check(t, row.Values)
			}
		})
	}
}

func TestShiftDecimal_MovesThePointExactly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		places int
		want   string
	}{
		{"10000", -2, "100.00"},
		{"5", -2, "0.05"},
		{"-1999", -2, "-19.99"},
		{"0", -2, "0.00"},
		{"12.5", -2, "0.125"},
		{"7", -3, "0.007"},
		{"1e3", -2, "1e1"},
		{"1.5E-2", -2, "1.5e-4"},
		{"42", 0, "42"},
		{"42", 2, "4200"},
		{"123456789012345678901234567890", -2, "1234567890123456789012345678.90"},
	}
	for _, tt := range tests {
		if got := shiftDecimal(tt.in, tt.places); got != tt.want {
			t.Errorf("shiftDecimal(%q, %d) = %q, want %q", tt.in, tt.places, got, tt.want)
		}
	}
}
