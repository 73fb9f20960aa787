-- Analysts' tables: one per stream of the catalogue, plus child tables for
-- nested lists analysts join on.

-- +goose Up
CREATE TABLE /* TEMPLATE: data */contacts (
    account text NOT NULL,
    id bigint NOT NULL,
    given_name text,
    middle_name text,
    family_name text,
    preferred_name text,
    prefix text,
    suffix text,
    job_title text,
    company_id bigint,
    company_name text,
    owner_id bigint,
    contact_type text,
    source_type text,
    leadsource_id bigint,
    email text,
    phone text,
    website text,
    time_zone text,
    preferred_locale text,
    score_value text,
    referral_code text,
    spouse_name text,
    birth_date date,
    anniversary_date date,
    create_time timestamptz,
    update_time timestamptz,
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
CREATE TABLE /* TEMPLATE: data */contact_email_addresses (
    account text NOT NULL,
    contact_id bigint NOT NULL,
    position integer NOT NULL,
    field text,
    email text,
    is_opt_in boolean,
    email_opt_status text,
    opt_in_reason text,
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
CREATE TABLE /* TEMPLATE: data */contact_phone_numbers (
    account text NOT NULL,
    contact_id bigint NOT NULL,
    position integer NOT NULL,
    field text,
    number text,
    number_e164 text,
    extension text,
    type text,
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

CREATE TABLE /* TEMPLATE: data */companies (
    account text NOT NULL,
    id bigint NOT NULL,
    company_name text,
    email text,
    phone text,
    website text,
    owner_id bigint,
    locality text,
    region text,
    postal_code text,
    country_code text,
    notes text,
    create_time timestamptz,
    update_time timestamptz,
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
    name text,
    description text,
    create_time timestamptz,
    update_time timestamptz,
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
    name text,
    description text,
    category_id bigint,
    create_time timestamptz,
    update_time timestamptz,
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
    title text,
    contact_id bigint,
    user_id bigint,
    stage_id bigint,
    stage_name text,
    status text,
    status_id bigint,
    projected_revenue_low numeric,
    projected_revenue_high numeric,
    monthly_revenue numeric,
    order_revenue numeric,
    include_in_forecast boolean,
    lead_source text,
    affiliate_id bigint,
    estimated_close_time timestamptz,
    next_action_time timestamptz,
    stage_entrance_time timestamptz,
    created_time timestamptz,
    last_updated_time timestamptz,
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

CREATE TABLE /* TEMPLATE: data */orders (
    account text NOT NULL,
    id bigint NOT NULL,
    title text,
    status text,
    contact_id bigint,
    order_type text,
    source_type text,
    currency_code text,
    total numeric,
    total_paid numeric,
    total_due numeric,
    refund_total numeric,
    invoice_number text,
    promo_code text,
    lead_affiliate_id bigint,
    sales_affiliate_id bigint,
    order_time timestamptz,
    due_time timestamptz,
    sent_time timestamptz,
    creation_time timestamptz,
    modification_time timestamptz,
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
CREATE TABLE /* TEMPLATE: data */order_items (
    account text NOT NULL,
    order_id bigint NOT NULL,
    position integer NOT NULL,
    item_id bigint,
    name text,
    description text,
    item_type text,
    quantity integer,
    price_per_unit numeric,
    cost_per_unit numeric,
    discount numeric,
    product_id bigint,
    sku text,
    subscription_id bigint,
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

CREATE TABLE /* TEMPLATE: data */products (
    account text NOT NULL,
    id bigint NOT NULL,
    name text,
    sku text,
    active boolean,
    price numeric,
    currency_code text,
    shippable boolean,
    taxable boolean,
    weight numeric,
    subscription_only boolean,
    is_package boolean,
    short_description text,
    create_time timestamptz,
    update_time timestamptz,
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
    contact_id bigint,
    product_id bigint,
    subscription_plan_id bigint,
    active boolean,
    quantity bigint,
    billing_amount numeric,
    billing_cycle text,
    billing_frequency integer,
    auto_charge boolean,
    payment_method_id bigint,
    reason_stopped text,
    promo_code text,
    start_date date,
    last_bill_date date,
    next_bill_date date,
    end_date date,
    modification_time timestamptz,
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
    contact_id bigint,
    amount numeric,
    type text,
    status text,
    order_ids bigint[],
    refund_payment_id bigint,
    merchant_account_type text,
    external_transaction_id text,
    note text,
    payment_time timestamptz,
    update_time timestamptz,
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
    contact_id bigint,
    amount numeric,
    currency text,
    status text,
    type text,
    gateway text,
    gateway_account_name text,
    collection_method text,
    test boolean,
    order_ids bigint[],
    transaction_date timestamptz,
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
    contact_id bigint,
    title text,
    type text,
    text text,
    assigned_to_user_id bigint,
    created_by_user_id bigint,
    last_updated_by_user_id bigint,
    pinned_at timestamptz,
    create_time timestamptz,
    update_time timestamptz,
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
    title text,
    description text,
    type text,
    priority text,
    completed boolean,
    contact_id bigint,
    opportunity_id bigint,
    assigned_to_user_id bigint,
    created_by_user_id bigint,
    remind_time_mins integer,
    due_time timestamptz,
    completion_time timestamptz,
    create_time timestamptz,
    modification_time timestamptz,
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
    name text,
    locked boolean,
    published_status boolean,
    active_contact_count integer,
    completed_contact_count integer,
    time_zone text,
    date_created timestamptz,
    published_date timestamptz,
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

CREATE TABLE /* TEMPLATE: data */users (
    account text NOT NULL,
    id bigint NOT NULL,
    given_name text,
    family_name text,
    email text,
    status text,
    admin boolean,
    partner boolean,
    title text,
    company_name text,
    global_user_id bigint,
    create_time timestamptz,
    update_time timestamptz,
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
    label text,
    field_name text,
    field_type text,
    record_type text,
    group_id bigint,
    group_name text,
    default_value text,
    options jsonb,
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
    label text,
    field_name text,
    field_type text,
    record_type text,
    group_id bigint,
    group_name text,
    default_value text,
    options jsonb,
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
    label text,
    field_name text,
    field_type text,
    record_type text,
    group_id bigint,
    group_name text,
    default_value text,
    options jsonb,
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
    label text,
    field_name text,
    field_type text,
    record_type text,
    group_id bigint,
    group_name text,
    default_value text,
    options jsonb,
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
