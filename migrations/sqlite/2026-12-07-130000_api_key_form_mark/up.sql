-- The mark of the form that made a key (a random token the page gives each form): the same form
-- sent twice, even at once, makes one key; the second is refused by this index.
ALTER TABLE api_keys ADD COLUMN form_mark TEXT;
CREATE UNIQUE INDEX api_keys_form_mark ON api_keys (form_mark);
