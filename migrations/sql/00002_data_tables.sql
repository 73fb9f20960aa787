-- Analysts' tables: one per stream of the catalogue, plus child tables for
-- nested lists analysts join on.

-- +goose Up
CREATE TABLE /* TEMPLATE: data */contacts ( -- json: hook
    account text NOT NULL,
    id bigint NOT NULL,
    given_name text, -- json: given_name
    middle_name text, -- json: middle_name
    family_name text, -- json: family_name
    preferred_name text, -- json: preferred_name
    prefix text, -- json: prefix
    suffix text, -- json: suffix
    job_title text, -- json: job_title
    company_id bigint, -- json: company.id
    company_name text, -- json: company.company_name | company_name
    owner_id bigint, -- json: owner_id
    contact_type text, -- json: contact_type
    source_type text, -- json: source_type
    leadsource_id bigint, -- json: leadsource_id | lead_source_id
    email text,
    phone text,
    website text, -- json: website
    time_zone text, -- json: time_zone
    preferred_locale text, -- json: preferred_locale
    score_value text, -- json: score_value | ScoreValue
    referral_code text, -- json: referral_code
    spouse_name text, -- json: spouse_name
    birth_date date, -- json: birth_date | birthday
    anniversary_date date, -- json: anniversary_date | anniversary
    create_time timestamptz, -- json: create_time | date_created
    update_time timestamptz, -- json: update_time | last_updated | last_updated_utc_millis
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */contacts IS 'Keap contacts (GET /v2/contacts), one row per contact; emails, phones, addresses and tags in child tables, custom fields in contacts_custom.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.given_name IS 'First name.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.middle_name IS 'Middle name.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.family_name IS 'Last name.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.preferred_name IS 'Preferred name.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.prefix IS 'Name prefix (Mr., Dr.).';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.suffix IS 'Name suffix.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.job_title IS 'Job title.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.company_id IS 'The contact''s company: joins keap.companies.id.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.company_name IS 'The company name as embedded in the contact.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.owner_id IS 'The owning user: joins keap.users.id.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.contact_type IS 'Contact type (Lead, Customer, ...).';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.source_type IS 'How the contact was created (API, WEBFORM, IMPORT, ...).';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.leadsource_id IS 'Lead source id.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.email IS 'Primary email address (EMAIL1, else the first one); all addresses are in keap.contact_email_addresses.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.phone IS 'Primary phone number (PHONE1, else the first one); all numbers are in keap.contact_phone_numbers.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.website IS 'Website.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.time_zone IS 'Time zone name.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.preferred_locale IS 'Preferred locale.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.score_value IS 'Lead score as reported by Keap.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.referral_code IS 'Referral code.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.spouse_name IS 'Spouse name.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.birth_date IS 'Birth date.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.anniversary_date IS 'Anniversary date.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.create_time IS 'When the contact was created in Keap.';
COMMENT ON COLUMN /* TEMPLATE: data */contacts.update_time IS 'When the contact was last updated in Keap.';
CREATE INDEX ON /* TEMPLATE: data */contacts (account, update_time);
CREATE INDEX ON /* TEMPLATE: data */contacts (account, company_id);
CREATE INDEX ON /* TEMPLATE: data */contacts (account, owner_id);
CREATE TABLE /* TEMPLATE: data */contact_email_addresses ( -- json: list email_addresses
    account text NOT NULL,
    contact_id bigint NOT NULL,
    position integer NOT NULL,
    field text, -- json: field
    email text, -- json: email
    is_opt_in boolean, -- json: is_opt_in
    email_opt_status text, -- json: email_opt_status
    opt_in_reason text, -- json: opt_in_reason
    PRIMARY KEY (account, contact_id, position)
);
COMMENT ON TABLE /* TEMPLATE: data */contact_email_addresses IS 'Email addresses of each contact (email_addresses of the contact record). Rewritten whenever the parent row changes.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_email_addresses.contact_id IS 'The parent record: joins keap.contacts.id.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_email_addresses.field IS 'Slot: EMAIL1, EMAIL2 or EMAIL3.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_email_addresses.email IS 'Email address.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_email_addresses.is_opt_in IS 'Whether the address is opted in.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_email_addresses.email_opt_status IS 'Keap''s opt status of the address.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_email_addresses.opt_in_reason IS 'Reason recorded with the opt-in.';
CREATE INDEX ON /* TEMPLATE: data */contact_email_addresses (account, email);
CREATE TABLE /* TEMPLATE: data */contact_phone_numbers ( -- json: list phone_numbers
    account text NOT NULL,
    contact_id bigint NOT NULL,
    position integer NOT NULL,
    field text, -- json: field
    number text, -- json: number
    number_e164 text, -- json: number_e164
    extension text, -- json: extension
    type text, -- json: type
    PRIMARY KEY (account, contact_id, position)
);
COMMENT ON TABLE /* TEMPLATE: data */contact_phone_numbers IS 'Phone numbers of each contact (phone_numbers of the contact record). Rewritten whenever the parent row changes.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_phone_numbers.contact_id IS 'The parent record: joins keap.contacts.id.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_phone_numbers.field IS 'Slot: PHONE1 to PHONE5.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_phone_numbers.number IS 'Number as entered.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_phone_numbers.number_e164 IS 'Number in E.164 form.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_phone_numbers.extension IS 'Extension.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_phone_numbers.type IS 'Type (Work, Mobile, ...).';
CREATE TABLE /* TEMPLATE: data */contact_addresses (
    account text NOT NULL,
    contact_id bigint NOT NULL,
    position integer NOT NULL,
    field text,
    line1 text,
    line2 text,
    locality text,
    region text,
    region_code text,
    postal_code text,
    country_code text,
    PRIMARY KEY (account, contact_id, position)
);
COMMENT ON TABLE /* TEMPLATE: data */contact_addresses IS 'Postal addresses of each contact (addresses of the contact record). Rewritten whenever the parent row changes.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_addresses.contact_id IS 'The parent record: joins keap.contacts.id.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_addresses.field IS 'Slot: BILLING, SHIPPING or OTHER.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_addresses.line1 IS 'Street line 1.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_addresses.line2 IS 'Street line 2.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_addresses.locality IS 'City.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_addresses.region IS 'Region or state name.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_addresses.region_code IS 'Region code.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_addresses.postal_code IS 'Postal code.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_addresses.country_code IS 'Country code.';
CREATE TABLE /* TEMPLATE: data */contact_tags (
    account text NOT NULL,
    contact_id bigint NOT NULL,
    position integer NOT NULL,
    tag_id bigint,
    PRIMARY KEY (account, contact_id, position)
);
COMMENT ON TABLE /* TEMPLATE: data */contact_tags IS 'Tag memberships: one row per contact and applied tag (tag_ids of the contact record). Rewritten whenever the parent row changes.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_tags.contact_id IS 'The parent record: joins keap.contacts.id.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_tags.tag_id IS 'The tag: joins keap.tags.id.';
CREATE INDEX ON /* TEMPLATE: data */contact_tags (account, tag_id);

CREATE TABLE /* TEMPLATE: data */companies ( -- json: hook
    account text NOT NULL,
    id bigint NOT NULL,
    company_name text, -- json: company_name
    email text,
    phone text, -- json: phone_number.number
    website text, -- json: website
    owner_id bigint, -- json: owner_id
    locality text,
    region text,
    postal_code text,
    country_code text,
    notes text, -- json: notes
    create_time timestamptz, -- json: create_time
    update_time timestamptz, -- json: update_time
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */companies IS 'Keap companies (GET /v2/companies); custom fields in companies_custom.';
COMMENT ON COLUMN /* TEMPLATE: data */companies.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */companies.company_name IS 'Company name.';
COMMENT ON COLUMN /* TEMPLATE: data */companies.email IS 'Email address.';
COMMENT ON COLUMN /* TEMPLATE: data */companies.phone IS 'Phone number.';
COMMENT ON COLUMN /* TEMPLATE: data */companies.website IS 'Website.';
COMMENT ON COLUMN /* TEMPLATE: data */companies.owner_id IS 'The owning user: joins keap.users.id.';
COMMENT ON COLUMN /* TEMPLATE: data */companies.locality IS 'City of the company address.';
COMMENT ON COLUMN /* TEMPLATE: data */companies.region IS 'Region of the company address.';
COMMENT ON COLUMN /* TEMPLATE: data */companies.postal_code IS 'Postal code of the company address.';
COMMENT ON COLUMN /* TEMPLATE: data */companies.country_code IS 'Country code of the company address.';
COMMENT ON COLUMN /* TEMPLATE: data */companies.notes IS 'Notes.';
COMMENT ON COLUMN /* TEMPLATE: data */companies.create_time IS 'When the company was created in Keap.';
COMMENT ON COLUMN /* TEMPLATE: data */companies.update_time IS 'When the company was last updated in Keap.';
CREATE INDEX ON /* TEMPLATE: data */companies (account, update_time);

CREATE TABLE /* TEMPLATE: data */tag_categories (
    account text NOT NULL,
    id bigint NOT NULL,
    name text, -- json: name
    description text, -- json: description
    create_time timestamptz, -- json: create_time
    update_time timestamptz, -- json: update_time
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */tag_categories IS 'Keap tag categories (GET /v2/tags/categories).';
COMMENT ON COLUMN /* TEMPLATE: data */tag_categories.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */tag_categories.name IS 'Category name.';
COMMENT ON COLUMN /* TEMPLATE: data */tag_categories.description IS 'Description.';
COMMENT ON COLUMN /* TEMPLATE: data */tag_categories.create_time IS 'When the category was created.';
COMMENT ON COLUMN /* TEMPLATE: data */tag_categories.update_time IS 'When the category was last updated.';

CREATE TABLE /* TEMPLATE: data */tags (
    account text NOT NULL,
    id bigint NOT NULL,
    name text, -- json: name
    description text, -- json: description
    category_id bigint, -- json: category.id
    create_time timestamptz, -- json: create_time
    update_time timestamptz, -- json: update_time
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */tags IS 'Keap tags (GET /v2/tags); memberships in keap.contact_tags.';
COMMENT ON COLUMN /* TEMPLATE: data */tags.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */tags.name IS 'Tag name.';
COMMENT ON COLUMN /* TEMPLATE: data */tags.description IS 'Description.';
COMMENT ON COLUMN /* TEMPLATE: data */tags.category_id IS 'The tag category: joins keap.tag_categories.id.';
COMMENT ON COLUMN /* TEMPLATE: data */tags.create_time IS 'When the tag was created.';
COMMENT ON COLUMN /* TEMPLATE: data */tags.update_time IS 'When the tag was last updated.';

CREATE TABLE /* TEMPLATE: data */opportunities (
    account text NOT NULL,
    id bigint NOT NULL,
    title text, -- json: opportunity_title
    contact_id bigint, -- json: contact.id
    user_id bigint, -- json: user.id
    stage_id bigint, -- json: stage.id
    stage_name text, -- json: stage.name
    status text, -- json: status
    status_id bigint, -- json: status_id
    projected_revenue_low numeric, -- json: projected_revenue_low (money)
    projected_revenue_high numeric, -- json: projected_revenue_high (money)
    monthly_revenue numeric, -- json: monthly_revenue (money)
    order_revenue numeric, -- json: order_revenue (money)
    include_in_forecast boolean, -- json: include_in_forecast
    lead_source text, -- json: lead_source
    affiliate_id bigint, -- json: affiliate_id
    estimated_close_time timestamptz, -- json: estimated_close_time | estimated_close_date
    next_action_time timestamptz, -- json: next_action_time | next_action_date
    stage_entrance_time timestamptz, -- json: stage_entrance_time
    created_time timestamptz, -- json: created_time | date_created
    last_updated_time timestamptz, -- json: last_updated_time | last_updated
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */opportunities IS 'Keap opportunities (GET /v2/opportunities); custom fields in opportunities_custom.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.title IS 'Opportunity title (opportunity_title).';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.contact_id IS 'The contact: joins keap.contacts.id.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.user_id IS 'The assigned user: joins keap.users.id.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.stage_id IS 'Pipeline stage id.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.stage_name IS 'Pipeline stage name.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.status IS 'Status.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.status_id IS 'Status id.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.projected_revenue_low IS 'Projected revenue, low estimate.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.projected_revenue_high IS 'Projected revenue, high estimate.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.monthly_revenue IS 'Monthly revenue.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.order_revenue IS 'Order revenue.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.include_in_forecast IS 'Whether the opportunity counts in forecasts.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.lead_source IS 'Lead source.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.affiliate_id IS 'Affiliate id.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.estimated_close_time IS 'Estimated close time.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.next_action_time IS 'Next action time.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.stage_entrance_time IS 'When the opportunity entered its current stage.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.created_time IS 'When the opportunity was created.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunities.last_updated_time IS 'When the opportunity was last updated.';
CREATE INDEX ON /* TEMPLATE: data */opportunities (account, contact_id);
CREATE INDEX ON /* TEMPLATE: data */opportunities (account, last_updated_time);

CREATE TABLE /* TEMPLATE: data */orders ( -- json: hook
    account text NOT NULL,
    id bigint NOT NULL,
    title text, -- json: title
    status text, -- json: status
    contact_id bigint, -- json: contact.id | contact_id
    order_type text, -- json: order_type
    source_type text, -- json: source_type
    currency_code text,
    total numeric, -- json: total (money)
    total_paid numeric, -- json: total_paid (money)
    total_due numeric, -- json: total_due (money)
    refund_total numeric, -- json: refund_total (money)
    invoice_number text, -- json: invoice_number
    promo_code text, -- json: promo_code
    lead_affiliate_id bigint, -- json: lead_affiliate_id
    sales_affiliate_id bigint, -- json: sales_affiliate_id
    order_time timestamptz, -- json: order_time
    due_time timestamptz, -- json: due_time
    sent_time timestamptz, -- json: sent_time
    creation_time timestamptz, -- json: creation_time
    modification_time timestamptz, -- json: modification_time
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */orders IS 'Keap orders (GET /v2/orders); items in keap.order_items, custom fields in orders_custom. Amounts are as Keap reports them in the order currency.';
COMMENT ON COLUMN /* TEMPLATE: data */orders.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */orders.title IS 'Order title.';
COMMENT ON COLUMN /* TEMPLATE: data */orders.status IS 'DRAFT, SENT, VIEWED or PAID.';
COMMENT ON COLUMN /* TEMPLATE: data */orders.contact_id IS 'The buyer: joins keap.contacts.id.';
COMMENT ON COLUMN /* TEMPLATE: data */orders.order_type IS 'ONLINE or OFFLINE.';
COMMENT ON COLUMN /* TEMPLATE: data */orders.source_type IS 'Where the order came from (API, CHECKOUT_FORM, INVOICE, ...).';
COMMENT ON COLUMN /* TEMPLATE: data */orders.currency_code IS 'Currency of every amount of the order.';
COMMENT ON COLUMN /* TEMPLATE: data */orders.total IS 'Order total.';
COMMENT ON COLUMN /* TEMPLATE: data */orders.total_paid IS 'Amount paid.';
COMMENT ON COLUMN /* TEMPLATE: data */orders.total_due IS 'Amount due.';
COMMENT ON COLUMN /* TEMPLATE: data */orders.refund_total IS 'Amount refunded.';
COMMENT ON COLUMN /* TEMPLATE: data */orders.invoice_number IS 'Invoice number.';
COMMENT ON COLUMN /* TEMPLATE: data */orders.promo_code IS 'Promo code used.';
COMMENT ON COLUMN /* TEMPLATE: data */orders.lead_affiliate_id IS 'Lead affiliate id.';
COMMENT ON COLUMN /* TEMPLATE: data */orders.sales_affiliate_id IS 'Sales affiliate id.';
COMMENT ON COLUMN /* TEMPLATE: data */orders.order_time IS 'Order time.';
COMMENT ON COLUMN /* TEMPLATE: data */orders.due_time IS 'Due time.';
COMMENT ON COLUMN /* TEMPLATE: data */orders.sent_time IS 'When the invoice was sent.';
COMMENT ON COLUMN /* TEMPLATE: data */orders.creation_time IS 'When the order was created.';
COMMENT ON COLUMN /* TEMPLATE: data */orders.modification_time IS 'When the order was last modified.';
CREATE INDEX ON /* TEMPLATE: data */orders (account, contact_id);
CREATE INDEX ON /* TEMPLATE: data */orders (account, modification_time);
CREATE TABLE /* TEMPLATE: data */order_items ( -- json: list order_items
    account text NOT NULL,
    order_id bigint NOT NULL,
    position integer NOT NULL,
    item_id bigint, -- json: id
    name text, -- json: name
    description text, -- json: description
    item_type text, -- json: item_type
    quantity integer, -- json: quantity
    price_per_unit numeric, -- json: price_per_unit (money)
    cost_per_unit numeric, -- json: cost_per_unit (money)
    discount numeric, -- json: discount (money)
    product_id bigint, -- json: product.id
    sku text, -- json: product.sku
    subscription_id bigint, -- json: subscription_id
    PRIMARY KEY (account, order_id, position)
);
COMMENT ON TABLE /* TEMPLATE: data */order_items IS 'Items of each order (order_items of the order record). Rewritten whenever the parent row changes.';
COMMENT ON COLUMN /* TEMPLATE: data */order_items.order_id IS 'The parent record: joins keap.orders.id.';
COMMENT ON COLUMN /* TEMPLATE: data */order_items.item_id IS 'Order item id.';
COMMENT ON COLUMN /* TEMPLATE: data */order_items.name IS 'Item name.';
COMMENT ON COLUMN /* TEMPLATE: data */order_items.description IS 'Item description.';
COMMENT ON COLUMN /* TEMPLATE: data */order_items.item_type IS 'Item type (PRODUCT, SHIPPING, TAX, ...).';
COMMENT ON COLUMN /* TEMPLATE: data */order_items.quantity IS 'Quantity.';
COMMENT ON COLUMN /* TEMPLATE: data */order_items.price_per_unit IS 'Price per unit.';
COMMENT ON COLUMN /* TEMPLATE: data */order_items.cost_per_unit IS 'Cost per unit.';
COMMENT ON COLUMN /* TEMPLATE: data */order_items.discount IS 'Discount.';
COMMENT ON COLUMN /* TEMPLATE: data */order_items.product_id IS 'The product: joins keap.products.id.';
COMMENT ON COLUMN /* TEMPLATE: data */order_items.sku IS 'Product SKU.';
COMMENT ON COLUMN /* TEMPLATE: data */order_items.subscription_id IS 'The subscription: joins keap.subscriptions.id.';
CREATE INDEX ON /* TEMPLATE: data */order_items (account, product_id);

CREATE TABLE /* TEMPLATE: data */products ( -- json: hook
    account text NOT NULL,
    id bigint NOT NULL,
    name text, -- json: name | product_name
    sku text, -- json: sku
    active boolean, -- json: active
    price numeric, -- json: price | product_price (money)
    currency_code text,
    shippable boolean, -- json: shippable
    taxable boolean, -- json: taxable
    weight numeric, -- json: weight
    subscription_only boolean, -- json: subscription_only
    is_package boolean, -- json: is_package
    short_description text, -- json: short_description | product_short_desc
    create_time timestamptz, -- json: create_time
    update_time timestamptz, -- json: update_time
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */products IS 'Keap products (GET /v2/products).';
COMMENT ON COLUMN /* TEMPLATE: data */products.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */products.name IS 'Product name.';
COMMENT ON COLUMN /* TEMPLATE: data */products.sku IS 'SKU.';
COMMENT ON COLUMN /* TEMPLATE: data */products.active IS 'Whether the product is active.';
COMMENT ON COLUMN /* TEMPLATE: data */products.price IS 'Price.';
COMMENT ON COLUMN /* TEMPLATE: data */products.currency_code IS 'Currency of the price.';
COMMENT ON COLUMN /* TEMPLATE: data */products.shippable IS 'Whether the product ships.';
COMMENT ON COLUMN /* TEMPLATE: data */products.taxable IS 'Whether the product is taxable.';
COMMENT ON COLUMN /* TEMPLATE: data */products.weight IS 'Weight.';
COMMENT ON COLUMN /* TEMPLATE: data */products.subscription_only IS 'Sold only by subscription.';
COMMENT ON COLUMN /* TEMPLATE: data */products.is_package IS 'Whether the product is a package.';
COMMENT ON COLUMN /* TEMPLATE: data */products.short_description IS 'Short description.';
COMMENT ON COLUMN /* TEMPLATE: data */products.create_time IS 'When the product was created.';
COMMENT ON COLUMN /* TEMPLATE: data */products.update_time IS 'When the product was last updated.';

CREATE TABLE /* TEMPLATE: data */subscriptions (
    account text NOT NULL,
    id bigint NOT NULL,
    contact_id bigint, -- json: contact_id
    product_id bigint, -- json: product_id
    subscription_plan_id bigint, -- json: subscription_plan_id
    active boolean, -- json: active
    quantity bigint, -- json: quantity
    billing_amount numeric, -- json: billing_amount (money)
    billing_cycle text, -- json: billing_cycle
    billing_frequency integer, -- json: billing_frequency
    auto_charge boolean, -- json: auto_charge
    payment_method_id bigint, -- json: payment_method_id
    reason_stopped text, -- json: reason_stopped
    promo_code text, -- json: promo_code
    start_date date, -- json: start_date
    last_bill_date date, -- json: last_bill_date
    next_bill_date date, -- json: next_bill_date
    end_date date, -- json: end_date
    modification_time timestamptz, -- json: modification_time
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */subscriptions IS 'Keap subscriptions (GET /v2/subscriptions).';
COMMENT ON COLUMN /* TEMPLATE: data */subscriptions.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */subscriptions.contact_id IS 'The subscriber: joins keap.contacts.id.';
COMMENT ON COLUMN /* TEMPLATE: data */subscriptions.product_id IS 'The product: joins keap.products.id.';
COMMENT ON COLUMN /* TEMPLATE: data */subscriptions.subscription_plan_id IS 'Subscription plan id.';
COMMENT ON COLUMN /* TEMPLATE: data */subscriptions.active IS 'Whether the subscription is active.';
COMMENT ON COLUMN /* TEMPLATE: data */subscriptions.quantity IS 'Quantity.';
COMMENT ON COLUMN /* TEMPLATE: data */subscriptions.billing_amount IS 'Amount billed each cycle.';
COMMENT ON COLUMN /* TEMPLATE: data */subscriptions.billing_cycle IS 'YEAR, MONTH, WEEK or DAY.';
COMMENT ON COLUMN /* TEMPLATE: data */subscriptions.billing_frequency IS 'Cycles between bills.';
COMMENT ON COLUMN /* TEMPLATE: data */subscriptions.auto_charge IS 'Whether payments are charged automatically.';
COMMENT ON COLUMN /* TEMPLATE: data */subscriptions.payment_method_id IS 'Payment method id.';
COMMENT ON COLUMN /* TEMPLATE: data */subscriptions.reason_stopped IS 'Why the subscription stopped.';
COMMENT ON COLUMN /* TEMPLATE: data */subscriptions.promo_code IS 'Promo code.';
COMMENT ON COLUMN /* TEMPLATE: data */subscriptions.start_date IS 'Start date.';
COMMENT ON COLUMN /* TEMPLATE: data */subscriptions.last_bill_date IS 'Last bill date.';
COMMENT ON COLUMN /* TEMPLATE: data */subscriptions.next_bill_date IS 'Next bill date.';
COMMENT ON COLUMN /* TEMPLATE: data */subscriptions.end_date IS 'End date.';
COMMENT ON COLUMN /* TEMPLATE: data */subscriptions.modification_time IS 'When the subscription was last modified.';
CREATE INDEX ON /* TEMPLATE: data */subscriptions (account, contact_id);

CREATE TABLE /* TEMPLATE: data */payments (
    account text NOT NULL,
    id bigint NOT NULL,
    contact_id bigint, -- json: contact_id
    amount numeric, -- json: amount (money)
    type text, -- json: type
    status text, -- json: status
    order_ids bigint[], -- json: order_ids
    refund_payment_id bigint, -- json: refund_payment_id
    merchant_account_type text, -- json: merchant_account_type
    external_transaction_id text, -- json: external_transaction_id
    note text, -- json: note
    payment_time timestamptz, -- json: payment_time
    update_time timestamptz, -- json: update_time
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */payments IS 'Keap payments (GET /v2/sales/payments).';
COMMENT ON COLUMN /* TEMPLATE: data */payments.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */payments.contact_id IS 'The payer: joins keap.contacts.id.';
COMMENT ON COLUMN /* TEMPLATE: data */payments.amount IS 'Amount.';
COMMENT ON COLUMN /* TEMPLATE: data */payments.type IS 'Payment type.';
COMMENT ON COLUMN /* TEMPLATE: data */payments.status IS 'PENDING, APPROVED, COMPLETED or NONE.';
COMMENT ON COLUMN /* TEMPLATE: data */payments.order_ids IS 'Orders the payment applies to: joins keap.orders.id.';
COMMENT ON COLUMN /* TEMPLATE: data */payments.refund_payment_id IS 'The refunded payment, for refunds.';
COMMENT ON COLUMN /* TEMPLATE: data */payments.merchant_account_type IS 'Merchant account type.';
COMMENT ON COLUMN /* TEMPLATE: data */payments.external_transaction_id IS 'Processor transaction id.';
COMMENT ON COLUMN /* TEMPLATE: data */payments.note IS 'Note.';
COMMENT ON COLUMN /* TEMPLATE: data */payments.payment_time IS 'When the payment was made.';
COMMENT ON COLUMN /* TEMPLATE: data */payments.update_time IS 'When the payment was last updated.';
CREATE INDEX ON /* TEMPLATE: data */payments (account, contact_id);

CREATE TABLE /* TEMPLATE: data */transactions (
    account text NOT NULL,
    id bigint NOT NULL,
    contact_id bigint, -- json: contact_id
    amount numeric, -- json: amount (money)
    currency text, -- json: currency
    status text, -- json: status
    type text, -- json: type
    gateway text, -- json: gateway
    gateway_account_name text, -- json: gateway_account_name
    collection_method text, -- json: collection_method
    test boolean, -- json: test
    order_ids bigint[], -- json: order_ids
    transaction_date timestamptz, -- json: transaction_date
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */transactions IS 'Keap transactions (GET /v1/transactions).';
COMMENT ON COLUMN /* TEMPLATE: data */transactions.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */transactions.contact_id IS 'The contact: joins keap.contacts.id.';
COMMENT ON COLUMN /* TEMPLATE: data */transactions.amount IS 'Amount.';
COMMENT ON COLUMN /* TEMPLATE: data */transactions.currency IS 'Currency.';
COMMENT ON COLUMN /* TEMPLATE: data */transactions.status IS 'Status.';
COMMENT ON COLUMN /* TEMPLATE: data */transactions.type IS 'Transaction type.';
COMMENT ON COLUMN /* TEMPLATE: data */transactions.gateway IS 'Gateway.';
COMMENT ON COLUMN /* TEMPLATE: data */transactions.gateway_account_name IS 'Gateway account name.';
COMMENT ON COLUMN /* TEMPLATE: data */transactions.collection_method IS 'Collection method.';
COMMENT ON COLUMN /* TEMPLATE: data */transactions.test IS 'Whether it was a test transaction.';
COMMENT ON COLUMN /* TEMPLATE: data */transactions.order_ids IS 'Orders of the transaction: joins keap.orders.id.';
COMMENT ON COLUMN /* TEMPLATE: data */transactions.transaction_date IS 'Transaction date.';
CREATE INDEX ON /* TEMPLATE: data */transactions (account, contact_id);

CREATE TABLE /* TEMPLATE: data */notes (
    account text NOT NULL,
    id bigint NOT NULL,
    contact_id bigint, -- json: contact_id
    title text, -- json: title
    type text, -- json: type
    text text, -- json: text
    assigned_to_user_id bigint, -- json: assigned_to_user.id | assigned_to_user_id
    created_by_user_id bigint, -- json: created_by_user_id
    last_updated_by_user_id bigint, -- json: last_updated_by_user_id
    pinned_at timestamptz, -- json: pinned_at
    create_time timestamptz, -- json: create_time
    update_time timestamptz, -- json: update_time
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */notes IS 'Keap notes (GET /v2/notes).';
COMMENT ON COLUMN /* TEMPLATE: data */notes.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */notes.contact_id IS 'The contact: joins keap.contacts.id.';
COMMENT ON COLUMN /* TEMPLATE: data */notes.title IS 'Title.';
COMMENT ON COLUMN /* TEMPLATE: data */notes.type IS 'Note type.';
COMMENT ON COLUMN /* TEMPLATE: data */notes.text IS 'Note text.';
COMMENT ON COLUMN /* TEMPLATE: data */notes.assigned_to_user_id IS 'Assigned user: joins keap.users.id.';
COMMENT ON COLUMN /* TEMPLATE: data */notes.created_by_user_id IS 'Author: joins keap.users.id.';
COMMENT ON COLUMN /* TEMPLATE: data */notes.last_updated_by_user_id IS 'Last editor: joins keap.users.id.';
COMMENT ON COLUMN /* TEMPLATE: data */notes.pinned_at IS 'When the note was pinned.';
COMMENT ON COLUMN /* TEMPLATE: data */notes.create_time IS 'When the note was created.';
COMMENT ON COLUMN /* TEMPLATE: data */notes.update_time IS 'When the note was last updated.';
CREATE INDEX ON /* TEMPLATE: data */notes (account, contact_id);

CREATE TABLE /* TEMPLATE: data */tasks (
    account text NOT NULL,
    id bigint NOT NULL,
    title text, -- json: title
    description text, -- json: description
    type text, -- json: type
    priority text, -- json: priority
    completed boolean, -- json: completed
    contact_id bigint, -- json: contact_id
    opportunity_id bigint, -- json: opportunity_id
    assigned_to_user_id bigint, -- json: assigned_to_user_id
    created_by_user_id bigint, -- json: created_by_user_id
    remind_time_mins integer, -- json: remind_time_mins
    due_time timestamptz, -- json: due_time
    completion_time timestamptz, -- json: completion_time
    create_time timestamptz, -- json: create_time
    modification_time timestamptz, -- json: modification_time
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */tasks IS 'Keap tasks (GET /v2/tasks).';
COMMENT ON COLUMN /* TEMPLATE: data */tasks.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */tasks.title IS 'Title.';
COMMENT ON COLUMN /* TEMPLATE: data */tasks.description IS 'Description.';
COMMENT ON COLUMN /* TEMPLATE: data */tasks.type IS 'Task type.';
COMMENT ON COLUMN /* TEMPLATE: data */tasks.priority IS 'CRITICAL, ESSENTIAL or NONESSENTIAL.';
COMMENT ON COLUMN /* TEMPLATE: data */tasks.completed IS 'Whether the task is completed.';
COMMENT ON COLUMN /* TEMPLATE: data */tasks.contact_id IS 'The contact: joins keap.contacts.id.';
COMMENT ON COLUMN /* TEMPLATE: data */tasks.opportunity_id IS 'The opportunity: joins keap.opportunities.id.';
COMMENT ON COLUMN /* TEMPLATE: data */tasks.assigned_to_user_id IS 'Assigned user: joins keap.users.id.';
COMMENT ON COLUMN /* TEMPLATE: data */tasks.created_by_user_id IS 'Creator: joins keap.users.id.';
COMMENT ON COLUMN /* TEMPLATE: data */tasks.remind_time_mins IS 'Reminder, minutes before due.';
COMMENT ON COLUMN /* TEMPLATE: data */tasks.due_time IS 'Due time.';
COMMENT ON COLUMN /* TEMPLATE: data */tasks.completion_time IS 'Completion time.';
COMMENT ON COLUMN /* TEMPLATE: data */tasks.create_time IS 'When the task was created.';
COMMENT ON COLUMN /* TEMPLATE: data */tasks.modification_time IS 'When the task was last modified.';
CREATE INDEX ON /* TEMPLATE: data */tasks (account, contact_id);

CREATE TABLE /* TEMPLATE: data */campaigns (
    account text NOT NULL,
    id bigint NOT NULL,
    name text, -- json: name
    locked boolean, -- json: locked
    published_status boolean, -- json: published_status
    active_contact_count integer, -- json: active_contact_count
    completed_contact_count integer, -- json: completed_contact_count
    time_zone text, -- json: time_zone
    date_created timestamptz, -- json: date_created
    published_date timestamptz, -- json: published_date
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */campaigns IS 'Keap campaigns (GET /v2/campaigns). Keap reports no update time for campaigns.';
COMMENT ON COLUMN /* TEMPLATE: data */campaigns.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */campaigns.name IS 'Campaign name.';
COMMENT ON COLUMN /* TEMPLATE: data */campaigns.locked IS 'Whether the campaign is locked.';
COMMENT ON COLUMN /* TEMPLATE: data */campaigns.published_status IS 'Whether the campaign is published.';
COMMENT ON COLUMN /* TEMPLATE: data */campaigns.active_contact_count IS 'Contacts currently in the campaign.';
COMMENT ON COLUMN /* TEMPLATE: data */campaigns.completed_contact_count IS 'Contacts that completed the campaign.';
COMMENT ON COLUMN /* TEMPLATE: data */campaigns.time_zone IS 'Time zone.';
COMMENT ON COLUMN /* TEMPLATE: data */campaigns.date_created IS 'When the campaign was created.';
COMMENT ON COLUMN /* TEMPLATE: data */campaigns.published_date IS 'When the campaign was published.';

CREATE TABLE /* TEMPLATE: data */users ( -- json: hook
    account text NOT NULL,
    id bigint NOT NULL,
    given_name text, -- json: given_name
    family_name text, -- json: family_name
    email text,
    status text, -- json: status
    admin boolean, -- json: admin
    partner boolean, -- json: partner
    title text, -- json: title
    company_name text, -- json: company_name
    global_user_id bigint, -- json: global_user_id
    create_time timestamptz, -- json: create_time
    update_time timestamptz, -- json: update_time
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */users IS 'Keap users (GET /v2/users).';
COMMENT ON COLUMN /* TEMPLATE: data */users.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */users.given_name IS 'First name.';
COMMENT ON COLUMN /* TEMPLATE: data */users.family_name IS 'Last name.';
COMMENT ON COLUMN /* TEMPLATE: data */users.email IS 'Primary email address.';
COMMENT ON COLUMN /* TEMPLATE: data */users.status IS 'ACTIVE, INVITED, INACTIVE or NOT_A_USER.';
COMMENT ON COLUMN /* TEMPLATE: data */users.admin IS 'Whether the user is an administrator.';
COMMENT ON COLUMN /* TEMPLATE: data */users.partner IS 'Whether the user is a partner.';
COMMENT ON COLUMN /* TEMPLATE: data */users.title IS 'Title.';
COMMENT ON COLUMN /* TEMPLATE: data */users.company_name IS 'Company name.';
COMMENT ON COLUMN /* TEMPLATE: data */users.global_user_id IS 'Keap global user id.';
COMMENT ON COLUMN /* TEMPLATE: data */users.create_time IS 'When the user was created.';
COMMENT ON COLUMN /* TEMPLATE: data */users.update_time IS 'When the user was last updated.';

CREATE TABLE /* TEMPLATE: data */contact_custom_fields (
    account text NOT NULL,
    id bigint NOT NULL,
    label text, -- json: label
    field_name text, -- json: field_name
    field_type text, -- json: field_type
    record_type text, -- json: record_type
    group_id bigint, -- json: group_id
    group_name text, -- json: group_name
    default_value text, -- json: default_value
    options jsonb, -- json: options
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */contact_custom_fields IS 'Definitions of contact custom fields (GET /v2/contacts/model). keapsync.refresh_custom_field_views() rebuilds keap.contacts_custom from them.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_custom_fields.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_custom_fields.label IS 'Label shown in Keap.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_custom_fields.field_name IS 'Keap field name.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_custom_fields.field_type IS 'Keap field type (TEXT, WHOLE_NUMBER, DATE, YES_NO, DROPDOWN, ...), which decides the column type in the named view.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_custom_fields.record_type IS 'Keap record type of the field.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_custom_fields.group_id IS 'Field group id.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_custom_fields.group_name IS 'Field group name.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_custom_fields.default_value IS 'Default value.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_custom_fields.options IS 'Options of list fields: [{id, label}].';

CREATE TABLE /* TEMPLATE: data */company_custom_fields (
    account text NOT NULL,
    id bigint NOT NULL,
    label text, -- json: label
    field_name text, -- json: field_name
    field_type text, -- json: field_type
    record_type text, -- json: record_type
    group_id bigint, -- json: group_id
    group_name text, -- json: group_name
    default_value text, -- json: default_value
    options jsonb, -- json: options
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */company_custom_fields IS 'Definitions of company custom fields (GET /v2/companies/model). keapsync.refresh_custom_field_views() rebuilds keap.companies_custom from them.';
COMMENT ON COLUMN /* TEMPLATE: data */company_custom_fields.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */company_custom_fields.label IS 'Label shown in Keap.';
COMMENT ON COLUMN /* TEMPLATE: data */company_custom_fields.field_name IS 'Keap field name.';
COMMENT ON COLUMN /* TEMPLATE: data */company_custom_fields.field_type IS 'Keap field type (TEXT, WHOLE_NUMBER, DATE, YES_NO, DROPDOWN, ...), which decides the column type in the named view.';
COMMENT ON COLUMN /* TEMPLATE: data */company_custom_fields.record_type IS 'Keap record type of the field.';
COMMENT ON COLUMN /* TEMPLATE: data */company_custom_fields.group_id IS 'Field group id.';
COMMENT ON COLUMN /* TEMPLATE: data */company_custom_fields.group_name IS 'Field group name.';
COMMENT ON COLUMN /* TEMPLATE: data */company_custom_fields.default_value IS 'Default value.';
COMMENT ON COLUMN /* TEMPLATE: data */company_custom_fields.options IS 'Options of list fields: [{id, label}].';

CREATE TABLE /* TEMPLATE: data */opportunity_custom_fields (
    account text NOT NULL,
    id bigint NOT NULL,
    label text, -- json: label
    field_name text, -- json: field_name
    field_type text, -- json: field_type
    record_type text, -- json: record_type
    group_id bigint, -- json: group_id
    group_name text, -- json: group_name
    default_value text, -- json: default_value
    options jsonb, -- json: options
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */opportunity_custom_fields IS 'Definitions of opportunity custom fields (GET /v2/opportunities/model). keapsync.refresh_custom_field_views() rebuilds keap.opportunities_custom from them.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_custom_fields.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_custom_fields.label IS 'Label shown in Keap.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_custom_fields.field_name IS 'Keap field name.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_custom_fields.field_type IS 'Keap field type (TEXT, WHOLE_NUMBER, DATE, YES_NO, DROPDOWN, ...), which decides the column type in the named view.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_custom_fields.record_type IS 'Keap record type of the field.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_custom_fields.group_id IS 'Field group id.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_custom_fields.group_name IS 'Field group name.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_custom_fields.default_value IS 'Default value.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_custom_fields.options IS 'Options of list fields: [{id, label}].';

CREATE TABLE /* TEMPLATE: data */order_custom_fields (
    account text NOT NULL,
    id bigint NOT NULL,
    label text, -- json: label
    field_name text, -- json: field_name
    field_type text, -- json: field_type
    record_type text, -- json: record_type
    group_id bigint, -- json: group_id
    group_name text, -- json: group_name
    default_value text, -- json: default_value
    options jsonb, -- json: options
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */order_custom_fields IS 'Definitions of order custom fields (GET /v2/orders/model). keapsync.refresh_custom_field_views() rebuilds keap.orders_custom from them.';
COMMENT ON COLUMN /* TEMPLATE: data */order_custom_fields.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */order_custom_fields.label IS 'Label shown in Keap.';
COMMENT ON COLUMN /* TEMPLATE: data */order_custom_fields.field_name IS 'Keap field name.';
COMMENT ON COLUMN /* TEMPLATE: data */order_custom_fields.field_type IS 'Keap field type (TEXT, WHOLE_NUMBER, DATE, YES_NO, DROPDOWN, ...), which decides the column type in the named view.';
COMMENT ON COLUMN /* TEMPLATE: data */order_custom_fields.record_type IS 'Keap record type of the field.';
COMMENT ON COLUMN /* TEMPLATE: data */order_custom_fields.group_id IS 'Field group id.';
COMMENT ON COLUMN /* TEMPLATE: data */order_custom_fields.group_name IS 'Field group name.';
COMMENT ON COLUMN /* TEMPLATE: data */order_custom_fields.default_value IS 'Default value.';
COMMENT ON COLUMN /* TEMPLATE: data */order_custom_fields.options IS 'Options of list fields: [{id, label}].';

-- The columns every table shares are documented once, for all of them.
-- +goose StatementBegin
DO $do$
DECLARE
    c record;
BEGIN
    FOR c IN
        SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = /* TEMPLATE_LITERAL: data */'keap'
          AND column_name IN ('account', 'position', 'raw', '_problems', '_hash', '_synced_at', '_sync_run_id', '_deleted_at')
    LOOP
        EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', /* TEMPLATE_LITERAL: data */'keap', c.table_name, c.column_name,
            CASE c.column_name
                WHEN 'account' THEN 'The configured name of the Keap account the row comes from.'
                WHEN 'position' THEN 'Position of the entry in the parent record''s list, from 0.'
                WHEN 'raw' THEN 'The full record exactly as Keap returned it; every field, typed or not.'
                WHEN '_problems' THEN 'Fields that could not be typed: [{field, reason}]. Their typed column is NULL and the value is in raw.'
                WHEN '_hash' THEN 'Hash of raw: a page rewrites only rows whose hash changed.'
                WHEN '_synced_at' THEN 'When keapsync last wrote a change to this row.'
                WHEN '_sync_run_id' THEN 'The sync run (sync_runs.id in keapsync''s state schema) that last wrote a change to this row.'
                WHEN '_deleted_at' THEN 'When keapsync found the record deleted in Keap (soft delete); NULL while it exists.'
            END);
    END LOOP;
END
$do$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE /* TEMPLATE: data */order_custom_fields;
DROP TABLE /* TEMPLATE: data */opportunity_custom_fields;
DROP TABLE /* TEMPLATE: data */company_custom_fields;
DROP TABLE /* TEMPLATE: data */contact_custom_fields;
DROP TABLE /* TEMPLATE: data */users;
DROP TABLE /* TEMPLATE: data */campaigns;
DROP TABLE /* TEMPLATE: data */tasks;
DROP TABLE /* TEMPLATE: data */notes;
DROP TABLE /* TEMPLATE: data */transactions;
DROP TABLE /* TEMPLATE: data */payments;
DROP TABLE /* TEMPLATE: data */subscriptions;
DROP TABLE /* TEMPLATE: data */products;
DROP TABLE /* TEMPLATE: data */order_items;
DROP TABLE /* TEMPLATE: data */orders;
DROP TABLE /* TEMPLATE: data */opportunities;
DROP TABLE /* TEMPLATE: data */tags;
DROP TABLE /* TEMPLATE: data */tag_categories;
DROP TABLE /* TEMPLATE: data */companies;
DROP TABLE /* TEMPLATE: data */contact_email_addresses;
DROP TABLE /* TEMPLATE: data */contact_phone_numbers;
DROP TABLE /* TEMPLATE: data */contact_addresses;
DROP TABLE /* TEMPLATE: data */contact_tags;
DROP TABLE /* TEMPLATE: data */contacts;
