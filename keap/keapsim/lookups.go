package keapsim

// Small lookup lists an account sets up once and rarely changes: each is
// read whole in one call.

// ---- product categories ----

var productCategoryNames = []string{"Electronics", "Courses", "Memberships", "Books", "Accessoires", "Services", "Gift Cards", "Café"}

func productCategoryName(r *rec) string {
	return productCategoryNames[int(r.id-1)%len(productCategoryNames)]
}

// productCategoryParent is the parent of a category: the first three are
// roots, the others hang under one of them.
func productCategoryParent(r *rec) int64 {
	if r.id <= 3 {
		return 0
	}
	return 1 + r.id%3
}

// renderProductCategory draws the spec's ProductCategory (no timestamps).
func renderProductCategory(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, productCategorySalt, r)
	o.idStr("id", r.id)
	o.str("name", productCategoryName(r))
	o.int("display_order_index", int64(v.n(10)))
	if p := productCategoryParent(r); p != 0 {
		o.idStr("parent_category_id", p)
	}
}

// productCategoriesDef serves GET /v2/productCategories: comparisons on
// product_category_id, name, ordered by id.
func productCategoriesDef() *streamDef {
	return additive(&streamDef{
		name: "product_categories", path: "/v2/productCategories", key: "product_categories", maxPage: 1000,
		salt: productCategorySalt, firstID: 1, scale: func(int) int { return len(productCategoryNames) }, spanDays: 4 * 365,
		idFilters: map[string]bool{"product_category_id": true},
		eqFilters: map[string]func(s *Server, r *rec) string{
			"name": func(s *Server, r *rec) string { return productCategoryName(r) },
		},
		contains: map[string]bool{"name": true},
		orders:   map[string]orderSpec{"id": {}},
		render:   renderProductCategory,
	}, "id name display_order_index parent_category_id")
}

// ---- contact link types ----

var contactLinkTypeNames = []string{"Spouse", "Assistant", "Referred by", "Parent", "Business partner"}

func contactLinkTypeName(r *rec) string {
	return contactLinkTypeNames[int(r.id-1)%len(contactLinkTypeNames)]
}

// renderContactLinkType draws the spec's ContactLinkType.
func renderContactLinkType(s *Server, o *obj, r *rec, _ fieldMask) {
	v := varying(s, contactLinkTypeSalt, r)
	o.idStr("id", r.id)
	o.str("name", contactLinkTypeName(r))
	o.int("max_links", int64(1+v.n(5)))
	o.timeV2("create_time", r.created)
}

// contactLinkTypesDef serves GET /v2/contacts/links/types: filtered by
// name, ordered by name, max_links or create_time.
func contactLinkTypesDef() *streamDef {
	return additive(&streamDef{
		name: "contact_link_types", path: "/v2/contacts/links/types", key: "contact_link_types", maxPage: 1000,
		salt: contactLinkTypeSalt, firstID: 1, scale: func(int) int { return len(contactLinkTypeNames) }, spanDays: 4 * 365,
		eqFilters: map[string]func(s *Server, r *rec) string{
			"name": func(s *Server, r *rec) string { return contactLinkTypeName(r) },
		},
		orders: map[string]orderSpec{
			"name":        idKey(func(s *Server, r *rec) string { return contactLinkTypeName(r) }),
			"create_time": {},
		},
		render: renderContactLinkType,
	}, "id name max_links create_time")
}
