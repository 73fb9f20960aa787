package keapsim

import (
	"strconv"
	"strings"
)

// rnd is a splitmix64 generator: each record's content is a pure function
// of (seed, stream, id, version), so nothing but the version is stored.
type rnd struct{ s uint64 }

func newRnd(seed int64, salt uint64, id int64, version uint32) rnd {
	r := rnd{s: uint64(seed)*0x9E3779B97F4A7C15 ^ salt*0xC2B2AE3D27D4EB4F ^ uint64(id)*0xBF58476D1CE4E5B9 ^ uint64(version)<<48}
	r.next()
	return r
}

// sub returns an independent source for part k of a record, leaving r
// as it is.
func (r rnd) sub(k uint64) rnd {
	x := rnd{s: r.s ^ (k+1)*0xD6E8FEB86659FD93}
	x.next()
	return x
}

func (r *rnd) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// n returns a number in [0, k).
func (r *rnd) n(k int) int { return int(r.next() % uint64(k)) }

// pct is true pct percent of the time.
func (r *rnd) pct(p int) bool { return r.n(100) < p }

func (r *rnd) pick(s []string) string { return s[r.n(len(s))] }

// name pairs a display name (unicode, apostrophes, accents) with an ASCII
// slug for e-mail addresses.
type name struct{ display, slug string }

var givenNames = []name{
	{"Mary", "mary"}, {"José", "jose"}, {"Zoë", "zoe"}, {"Søren", "soren"}, {"Łukasz", "lukasz"},
	{"Анна", "anna"}, {"محمد", "mohammed"}, {"美咲", "misaki"}, {"O'Neil", "oneil"}, {"Ana María", "anamaria"},
	{"John", "john"}, {"Aoife", "aoife"}, {"François", "francois"}, {"Björk", "bjork"}, {"Nguyễn", "nguyen"},
	{"Priya", "priya"}, {"Siobhán", "siobhan"}, {"Jürgen", "jurgen"}, {"Chloé", "chloe"}, {"Émile", "emile"},
	{"李", "li"}, {"David", "david"}, {"Ōta", "ota"}, {"Renée", "renee"},
}

var familyNames = []name{
	{"Smith", "smith"}, {"García", "garcia"}, {"Müller", "muller"}, {"O'Brien", "obrien"}, {"Kowalski", "kowalski"},
	{"Иванова", "ivanova"}, {"König", "konig"}, {"Dvořák", "dvorak"}, {"van der Berg", "vanderberg"}, {"Nakamura", "nakamura"},
	{"Nguyen", "nguyen"}, {"Ødegaard", "odegaard"}, {"Fernández", "fernandez"}, {"Ó Súilleabháin", "osullivan"}, {"Jones", "jones"},
	{"Patel", "patel"}, {"Świątek", "swiatek"}, {"Björnsson", "bjornsson"}, {"Al-Sayed", "alsayed"}, {"王", "wang"},
}

var middleNames = []string{"A.", "Lee", "Marie", "J", "Ngọc", "Σ", "Ann"}

var domains = []string{"example.com", "example.org", "mail.example.net", "exämple.de", "example.co.uk"}

var companyWords = []string{"Acme", "Globex", "Initech", "Umbrella", "Søstrene", "Müller & Söhne", "Café \"Bleu\"", "株式会社サンプル", "Stark", "Wayne", "Hooli", "Vandelay"}

var companySuffix = []string{"Inc.", "LLC", "GmbH", "Ltd", "S.A.", "", "Co."}

var cities = []name{{"Chandler", "AZ"}, {"Phoenix", "AZ"}, {"Zürich", "ZH"}, {"São Paulo", "SP"}, {"Kraków", "MA"}, {"Austin", "TX"}, {"Québec", "QC"}, {"Reykjavík", ""}}

var countries = []string{"USA", "USA", "USA", "CAN", "GBR", "DEU", "BRA", "POL"}

var jobTitles = []string{"CEO", "Office Manager", "Développeur", "Sales Rep", "Owner", "VP, Marketing & Growth", "Bookkeeper"}

var words = []string{"follow", "up", "call", "about", "the", "renewal", "quote", "invoice", "meeting", "naïve", "café", "résumé",
	"delivery", "schedule", "urgent", "next", "week", "€100", "日本", "discount", "with", "\"special\"", "offer", "line\nbreak", "tab\there"}

var productNames = []string{"Coaching Session", "Premium Plan", "Starter Kit", "Workshop Ticket", "Ebook: Growth", "Consulting Hour", "Membership", "Café Blend 1kg"}

var tagNames = []string{"Lead", "Customer", "VIP", "Newsletter", "Webinar Attendee", "Nurture", "Cold", "Hot Lead", "Référence", "Évènement 2024", "Imported"}

var timeZones = []string{"America/Phoenix", "America/New_York", "Europe/Berlin", "Asia/Tokyo", "America/Sao_Paulo", "Europe/London"}

// appendWords appends n words separated by spaces.
func appendWords(b []byte, r *rnd, n int) []byte {
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, r.pick(words)...)
	}
	return b
}

// appendText appends n words as a JSON string.
func appendText(b []byte, r *rnd, n int) []byte {
	b = append(b, '"')
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ' ')
		}
		b = appendEscaped(b, r.pick(words))
	}
	return append(b, '"')
}

// text returns n words (for fields that need a string value, such as
// filter keys).
func text(r *rnd, n int) string { return string(appendWords(nil, r, n)) }

// appendLongText appends a JSON string of a few words, or now and then of
// a few kilobytes, to exercise large values.
func appendLongText(b []byte, r *rnd) []byte {
	n := 5 + r.n(20)
	if r.pct(1) {
		n = 300 + r.n(300)
	}
	return appendText(b, r, n)
}

// appendPhone appends a quoted US phone number, "(480) 555-0123".
func appendPhone(b []byte, r *rnd) []byte {
	b = append(b, '"', '(')
	b = strconv.AppendInt(b, int64(200+r.n(799)), 10)
	b = append(b, ')', ' ')
	b = strconv.AppendInt(b, int64(200+r.n(799)), 10)
	b = append(b, '-')
	n := r.n(10000)
	b = append(b, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
	return append(b, '"')
}

func pad4(v int) string {
	s := strconv.Itoa(v)
	return strings.Repeat("0", 4-len(s)) + s
}

// money formats cents as "$1,234.50"-style amounts without a thousands
// separator: Keap's formatted_amount.
func money(cents int64) string {
	return "$" + strconv.FormatInt(cents/100, 10) + "." + strconv.FormatInt(cents%100/10, 10) + strconv.FormatInt(cents%10, 10)
}
