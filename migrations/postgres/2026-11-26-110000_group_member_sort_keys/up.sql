-- A group's members listed by name or email, walked through an index of the group's own rows: the
-- membership's sort keys are copied onto each of its group rows (kept in step by the triggers),
-- so a large group's page reads ~50 index entries instead of testing the workspace's members one
-- by one against the group.
ALTER TABLE group_members ADD COLUMN sort_name TEXT NOT NULL DEFAULT '';
ALTER TABLE group_members ADD COLUMN sort_email TEXT NOT NULL DEFAULT '';
UPDATE group_members gm SET sort_name = m.sort_name, sort_email = m.sort_email
    FROM memberships m WHERE m.id = gm.membership_id;
CREATE INDEX group_members_by_name ON group_members (group_id, sort_name, membership_id);
CREATE INDEX group_members_by_email ON group_members (group_id, sort_email, membership_id);

CREATE FUNCTION group_members_sort_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT m.sort_name, m.sort_email INTO NEW.sort_name, NEW.sort_email
        FROM memberships m WHERE m.id = NEW.membership_id;
    RETURN NEW;
END $$;
CREATE TRIGGER group_members_sort_keys BEFORE INSERT ON group_members
    FOR EACH ROW EXECUTE FUNCTION group_members_sort_keys();

CREATE FUNCTION memberships_sort_keys_to_groups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE group_members SET sort_name = NEW.sort_name, sort_email = NEW.sort_email
        WHERE membership_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER memberships_sort_keys_to_groups AFTER UPDATE OF sort_name, sort_email ON memberships
    FOR EACH ROW WHEN (OLD.sort_name IS DISTINCT FROM NEW.sort_name OR OLD.sort_email IS DISTINCT FROM NEW.sort_email)
    EXECUTE FUNCTION memberships_sort_keys_to_groups();
