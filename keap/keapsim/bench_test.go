package keapsim_test

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"

	"github.com/keapsync/keapsync/keap/keapsim"
)

// contactFields is every contact property the catalogue asks for.
const contactFields = "addresses,anniversary_date,birth_date,company,contact_type,create_time,custom_fields," +
	"email_addresses,family_name,fax_numbers,given_name,id,job_title,leadsource_id,links,middle_name,notes," +
	"origin,owner_id,phone_numbers,preferred_locale,preferred_name,prefix,referral_code,score_value," +
	"social_accounts,source_type,spouse_name,suffix,tag_ids,time_zone,update_time,utm_parameters,website"

// BenchmarkSimulatorPage measures full 1000-contact pages (every catalogue
// field, keyset by contact_id as the client reads them) over real HTTP.
func BenchmarkSimulatorPage(b *testing.B) {
	s, err := keapsim.Start(unlimited(keapsim.Options{Contacts: 100_000}))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	var after int64
	var total int64
	var buf bytes.Buffer
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := url.Values{"page_size": {"1000"}, "order_by": {"id asc"}, "fields": {contactFields}}
		if after > 0 {
			q.Set("filter", "contact_id>"+itoa(after))
		}
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/v2/contacts?"+q.Encode(), nil)
		req.Header.Set("X-Keap-API-Key", s.APIKey())
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		buf.Reset()
		_, err = buf.ReadFrom(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			b.Fatalf("status %d: %v", res.StatusCode, err)
		}
		body := buf.Bytes()
		total += int64(len(body))
		// The last id on the page: `"id":"123"` of the last record.
		k := bytes.LastIndex(body, []byte(`{"id":"`))
		if k < 0 {
			after = 0
			continue
		}
		e := bytes.IndexByte(body[k+7:], '"')
		after = atoi(string(body[k+7 : k+7+e]))
		if after >= 114_000 { // past the last contact: start over
			after = 0
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
	b.ReportMetric(float64(total)/float64(b.N), "bytes/page")
}

func itoa(v int64) string { return strconvFormat(v) }
