DROP INDEX slack_messages_texts_kept;
DROP INDEX outbox_emails_bodies_kept;
