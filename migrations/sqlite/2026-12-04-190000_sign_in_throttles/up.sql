-- Failed sign-ins, counted in the database so that every instance shares them and a restart keeps
-- them: one row per account (`account:<id>`, consecutive failures and the pause they set) and one
-- per client address (`ip:<address>`, failures in the current 10-minute window).
CREATE TABLE sign_in_throttles (
    key TEXT PRIMARY KEY NOT NULL,
    failures BIGINT NOT NULL DEFAULT 0,
    window_started_at TIMESTAMP NOT NULL,
    last_failure_at TIMESTAMP NOT NULL,
    paused_until TIMESTAMP,
    -- The last "failed sign-in" audit event (at most one a minute per account) and the failures
    -- since, which the next event counts.
    reported_at TIMESTAMP,
    unreported BIGINT NOT NULL DEFAULT 0
);
