DROP INDEX api_keys_form_mark;
ALTER TABLE api_keys DROP COLUMN form_mark;
