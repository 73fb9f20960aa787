package jobs

import (
	"encoding/json"

	"github.com/keapsync/keapsync/warehouse"
)

// The CRM streams besides contacts: users, tags and their categories,
// companies, notes, tasks and campaigns.

type userJSON struct {
	GivenName      jText       `json:"given_name"`
	FamilyName     jText       `json:"family_name"`
	EmailAddresses []emailJSON `json:"email_addresses"`
	EmailAddress   jText       `json:"email_address"` // v1
	Status         jText       `json:"status"`
	Admin          jBool       `json:"admin"`
	Partner        jBool       `json:"partner"`
	Title          jText       `json:"title"`
	CompanyName    jText       `json:"company_name"`
	GlobalUserID   jInt        `json:"global_user_id"`
	CreateTime     jTime       `json:"create_time"`
	UpdateTime     jTime       `json:"update_time"`
}

func mapUser(m *rowMapper, raw []byte) warehouse.TableRow {
	var r userJSON
	m.decode(raw, &r)
	row := &warehouse.UsersRow{
		GivenName:    m.text("given_name", &r.GivenName),
		FamilyName:   m.text("family_name", &r.FamilyName),
		Status:       m.text("status", &r.Status),
		Admin:        m.boolean("admin", &r.Admin),
		Partner:      m.boolean("partner", &r.Partner),
		Title:        m.text("title", &r.Title),
		CompanyName:  m.text("company_name", &r.CompanyName),
		GlobalUserID: m.bigint("global_user_id", &r.GlobalUserID),
		CreateTime:   m.timestamp("create_time", &r.CreateTime),
		UpdateTime:   m.timestamp("update_time", &r.UpdateTime),
	}
	row.Email = primaryEmail(emailRows(m, "email_addresses", r.EmailAddresses))
	if row.Email == nil {
		row.Email = m.text("email_address", &r.EmailAddress)
	}
	return row
}

type tagCategoryJSON struct {
	Name        jText `json:"name"`
	Description jText `json:"description"`
	CreateTime  jTime `json:"create_time"`
	UpdateTime  jTime `json:"update_time"`
}

func mapTagCategory(m *rowMapper, raw []byte) warehouse.TableRow {
	var r tagCategoryJSON
	m.decode(raw, &r)
	return &warehouse.TagCategoriesRow{
		Name:        m.text("name", &r.Name),
		Description: m.text("description", &r.Description),
		CreateTime:  m.timestamp("create_time", &r.CreateTime),
		UpdateTime:  m.timestamp("update_time", &r.UpdateTime),
	}
}

type tagJSON struct {
	Name        jText `json:"name"`
	Description jText `json:"description"`
	Category    idRef `json:"category"`
	CreateTime  jTime `json:"create_time"`
	UpdateTime  jTime `json:"update_time"`
}

func mapTag(m *rowMapper, raw []byte) warehouse.TableRow {
	var r tagJSON
	m.decode(raw, &r)
	row := &warehouse.TagsRow{
		Name:        m.text("name", &r.Name),
		Description: m.text("description", &r.Description),
		CreateTime:  m.timestamp("create_time", &r.CreateTime),
		UpdateTime:  m.timestamp("update_time", &r.UpdateTime),
	}
	row.CategoryID = m.bigint("category.id", &r.Category.ID)
	return row
}

// emailOrString is v2's EmailAddress object or v1's plain address.
type emailOrString struct {
	email jText // the address, from either shape
	isObj bool
}

func (e *emailOrString) UnmarshalJSON(b []byte) error {
	if b[0] != '{' {
		return e.email.UnmarshalJSON(b)
	}
	e.isObj = true
	var obj struct {
		Email jText `json:"email"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		invalidValue(&e.email.st, &e.email.why, "not an email address", b)
		return nil
	}
	e.email = obj.Email
	return nil
}

type companyJSON struct {
	CompanyName  jText         `json:"company_name"`
	EmailAddress emailOrString `json:"email_address"`
	PhoneNumber  phoneJSON     `json:"phone_number"`
	Website      jText         `json:"website"`
	OwnerID      jInt          `json:"owner_id"`
	Address      addressJSON   `json:"address"`
	Notes        jText         `json:"notes"`
	CreateTime   jTime         `json:"create_time"`
	UpdateTime   jTime         `json:"update_time"`
}

func mapCompany(m *rowMapper, raw []byte) warehouse.TableRow {
	var r companyJSON
	m.decode(raw, &r)
	row := &warehouse.CompaniesRow{
		CompanyName: m.text("company_name", &r.CompanyName),
		Website:     m.text("website", &r.Website),
		OwnerID:     m.bigint("owner_id", &r.OwnerID),
		Notes:       m.text("notes", &r.Notes),
		CreateTime:  m.timestamp("create_time", &r.CreateTime),
		UpdateTime:  m.timestamp("update_time", &r.UpdateTime),
	}
	if r.EmailAddress.isObj {
		row.Email = m.text("email_address.email", &r.EmailAddress.email)
	} else {
		row.Email = m.text("email_address", &r.EmailAddress.email)
	}
	row.Phone = m.text("phone_number.number", &r.PhoneNumber.Number)
	row.Locality = m.text("address.locality", &r.Address.Locality)
	row.Region = m.text("address.region", &r.Address.Region)
	row.CountryCode = m.text("address.country_code", &r.Address.CountryCode)
	row.PostalCode = postalCode(m, "address.", &r.Address)
	return row
}

type noteJSON struct {
	ContactID           jInt  `json:"contact_id"`
	Title               jText `json:"title"`
	Type                jText `json:"type"`
	Text                jText `json:"text"`
	AssignedToUser      idRef `json:"assigned_to_user"`
	AssignedToUserID    jInt  `json:"assigned_to_user_id"`
	CreatedByUserID     jInt  `json:"created_by_user_id"`
	LastUpdatedByUserID jInt  `json:"last_updated_by_user_id"`
	PinnedAt            jTime `json:"pinned_at"`
	CreateTime          jTime `json:"create_time"`
	UpdateTime          jTime `json:"update_time"`
}

func mapNote(m *rowMapper, raw []byte) warehouse.TableRow {
	var r noteJSON
	m.decode(raw, &r)
	row := &warehouse.NotesRow{
		ContactID:           m.bigint("contact_id", &r.ContactID),
		Title:               m.text("title", &r.Title),
		Type:                m.text("type", &r.Type),
		Text:                m.text("text", &r.Text),
		CreatedByUserID:     m.bigint("created_by_user_id", &r.CreatedByUserID),
		LastUpdatedByUserID: m.bigint("last_updated_by_user_id", &r.LastUpdatedByUserID),
		PinnedAt:            m.timestamp("pinned_at", &r.PinnedAt),
		CreateTime:          m.timestamp("create_time", &r.CreateTime),
		UpdateTime:          m.timestamp("update_time", &r.UpdateTime),
	}
	row.AssignedToUserID = m.bigint("assigned_to_user.id", &r.AssignedToUser.ID)
	if row.AssignedToUserID == nil {
		row.AssignedToUserID = m.bigint("assigned_to_user_id", &r.AssignedToUserID)
	}
	return row
}

type taskJSON struct {
	Title            jText `json:"title"`
	Description      jText `json:"description"`
	Type             jText `json:"type"`
	Priority         jText `json:"priority"`
	Completed        jBool `json:"completed"`
	ContactID        jInt  `json:"contact_id"`
	OpportunityID    jInt  `json:"opportunity_id"`
	AssignedToUserID jInt  `json:"assigned_to_user_id"`
	CreatedByUserID  jInt  `json:"created_by_user_id"`
	RemindTimeMins   jInt  `json:"remind_time_mins"`
	DueTime          jTime `json:"due_time"`
	CompletionTime   jTime `json:"completion_time"`
	CreateTime       jTime `json:"create_time"`
	ModificationTime jTime `json:"modification_time"`
}

func mapTask(m *rowMapper, raw []byte) warehouse.TableRow {
	var r taskJSON
	m.decode(raw, &r)
	return &warehouse.TasksRow{
		Title:            m.text("title", &r.Title),
		Description:      m.text("description", &r.Description),
		Type:             m.text("type", &r.Type),
		Priority:         m.text("priority", &r.Priority),
		Completed:        m.boolean("completed", &r.Completed),
		ContactID:        m.bigint("contact_id", &r.ContactID),
		OpportunityID:    m.bigint("opportunity_id", &r.OpportunityID),
		AssignedToUserID: m.bigint("assigned_to_user_id", &r.AssignedToUserID),
		CreatedByUserID:  m.bigint("created_by_user_id", &r.CreatedByUserID),
		RemindTimeMins:   m.integer("remind_time_mins", &r.RemindTimeMins),
		DueTime:          m.timestamp("due_time", &r.DueTime),
		CompletionTime:   m.timestamp("completion_time", &r.CompletionTime),
		CreateTime:       m.timestamp("create_time", &r.CreateTime),
		ModificationTime: m.timestamp("modification_time", &r.ModificationTime),
	}
}

type campaignJSON struct {
	Name                  jText `json:"name"`
	Locked                jBool `json:"locked"`
	PublishedStatus       jBool `json:"published_status"`
	ActiveContactCount    jInt  `json:"active_contact_count"`
	CompletedContactCount jInt  `json:"completed_contact_count"`
	TimeZone              jText `json:"time_zone"`
	DateCreated           jTime `json:"date_created"`
	PublishedDate         jTime `json:"published_date"`
}

func mapCampaign(m *rowMapper, raw []byte) warehouse.TableRow {
	var r campaignJSON
	m.decode(raw, &r)
	return &warehouse.CampaignsRow{
		Name:                  m.text("name", &r.Name),
		Locked:                m.boolean("locked", &r.Locked),
		PublishedStatus:       m.boolean("published_status", &r.PublishedStatus),
		ActiveContactCount:    m.integer("active_contact_count", &r.ActiveContactCount),
		CompletedContactCount: m.integer("completed_contact_count", &r.CompletedContactCount),
		TimeZone:              m.text("time_zone", &r.TimeZone),
		DateCreated:           m.timestamp("date_created", &r.DateCreated),
		PublishedDate:         m.timestamp("published_date", &r.PublishedDate),
	}
}
