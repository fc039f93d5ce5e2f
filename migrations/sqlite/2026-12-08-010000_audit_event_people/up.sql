-- The people an event names besides its target: who was added to or taken out of a group, who was
-- given or lost access to an app (the event's target is the group or the app). A member's Activity
-- tab lists these events too. Append-only, as the events are; no key on the account: an account
-- deleted later keeps its history rows, as `audit_events.actor_account_id` does.
CREATE TABLE audit_event_people (
    account_id BIGINT NOT NULL,
    event_id BIGINT NOT NULL REFERENCES audit_events (id),
    PRIMARY KEY (account_id, event_id)
);
CREATE TRIGGER audit_event_people_no_update BEFORE UPDATE ON audit_event_people BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_event_people_no_delete BEFORE DELETE ON audit_event_people BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

-- The events logged before this table, as far as their facts still say who (a member purged
-- since, or an address changed since, is not found).
INSERT OR IGNORE INTO audit_event_people (account_id, event_id)
SELECT m.account_id, e.id
FROM audit_events e
JOIN memberships m
    ON m.workspace_id = e.workspace_id AND m.id = json_extract(e.changes, '$.membership_id')
WHERE e.action = 'group.member_removed';

INSERT OR IGNORE INTO audit_event_people (account_id, event_id)
SELECT m.account_id, e.id
FROM audit_events e, json_each(e.changes, '$.members') p
JOIN accounts a ON a.email = p.value
JOIN memberships m ON m.account_id = a.id AND m.workspace_id = e.workspace_id
WHERE e.action = 'group.members_added';

INSERT OR IGNORE INTO audit_event_people (account_id, event_id)
SELECT m.account_id, e.id
FROM audit_events e
JOIN accounts a ON a.email = json_extract(e.changes, '$.to')
JOIN memberships m ON m.account_id = a.id AND m.workspace_id = e.workspace_id
WHERE e.action IN ('app.access_granted', 'app.access_changed', 'app.access_revoked');
