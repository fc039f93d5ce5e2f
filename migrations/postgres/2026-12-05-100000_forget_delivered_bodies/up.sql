-- What an email or a Slack message said (single-use links among it) is forgotten an hour after it
-- was handled: these partial indexes find the few rows that still hold a body.
CREATE INDEX outbox_emails_bodies_kept ON outbox_emails (created_at) WHERE text_body <> '';
CREATE INDEX slack_messages_texts_kept ON slack_messages (created_at) WHERE text <> '';
