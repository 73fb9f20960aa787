-- Subscription plans (subscription_plans of each v2 product): what a
-- subscription to a product costs, at no extra call.

-- +goose Up
CREATE TABLE /* TEMPLATE: data */product_subscription_plans ( -- json: list subscription_plans
    account text NOT NULL,
    product_id bigint NOT NULL,
    position integer NOT NULL,
    plan_id bigint, -- json: id
    active boolean, -- json: active
    prorate boolean, -- json: prorate
    billing_cycle text, -- json: billing_cycle
    billing_frequency integer, -- json: billing_frequency
    number_of_cycles integer, -- json: number_of_cycles
    plan_price numeric, -- json: plan_price (money)
    order_index integer, -- json: order_index
    PRIMARY KEY (account, product_id, position)
);
COMMENT ON TABLE /* TEMPLATE: data */product_subscription_plans IS 'Subscription plans of each product (subscription_plans of the product record; subscriptions.subscription_plan_id joins plan_id). Rewritten whenever the product changes.';
COMMENT ON COLUMN /* TEMPLATE: data */product_subscription_plans.product_id IS 'The parent record: joins keap.products.id.';
COMMENT ON COLUMN /* TEMPLATE: data */product_subscription_plans.plan_id IS 'Subscription plan id.';
COMMENT ON COLUMN /* TEMPLATE: data */product_subscription_plans.active IS 'Whether the plan is offered.';
COMMENT ON COLUMN /* TEMPLATE: data */product_subscription_plans.prorate IS 'Whether a partial period is prorated.';
COMMENT ON COLUMN /* TEMPLATE: data */product_subscription_plans.billing_cycle IS 'DAILY, WEEKLY, MONTHLY or YEARLY.';
COMMENT ON COLUMN /* TEMPLATE: data */product_subscription_plans.billing_frequency IS 'Cycles between two bills (2 with MONTHLY: every other month).';
COMMENT ON COLUMN /* TEMPLATE: data */product_subscription_plans.number_of_cycles IS 'How many cycles the subscription runs (0: until stopped).';
COMMENT ON COLUMN /* TEMPLATE: data */product_subscription_plans.plan_price IS 'Price of each bill, in the product''s currency (products.currency_code).';
COMMENT ON COLUMN /* TEMPLATE: data */product_subscription_plans.order_index IS 'Display order of the plan.';

SELECT /* TEMPLATE: state */document_common_columns();

-- +goose Down
DROP TABLE /* TEMPLATE: data */product_subscription_plans;
