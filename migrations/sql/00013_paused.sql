-- Accounts and streams an operator paused (keapsync pause): no new page of
-- theirs starts until keapsync resume; pages already running finish.

-- +goose Up
CREATE TABLE /* TEMPLATE: state */paused (
    account text NOT NULL,
    stream text NOT NULL DEFAULT '',
    paused_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account, stream)
);
COMMENT ON TABLE /* TEMPLATE: state */paused IS 'What an operator paused: a stream of an account, or the whole account (stream empty).';

-- +goose Down
DROP TABLE /* TEMPLATE: state */paused;
