-- The people an event names besides its target: who was added to or taken out of a group, who was
-- given or lost access to an app (the event's target is the group or the app). A member's Activity
-- tab lists these events too. Append-only, as the events are; no key on the account: an account
-- deleted later keeps its history rows, as `audit_events.actor_account_id` does.
CREATE TABLE audit_event_people (
    account_id BIGINT NOT NULL,
    event_id BIGINT NOT NULL REFERENCES audit_events (id),
    PRIMARY KEY (account_id, event_id)
);
CREATE TRIGGER audit_event_people_append_only BEFORE UPDATE OR DELETE ON audit_event_people
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- The events logged before this table, as far as their facts still say who (a member purged
-- since, or an address changed since, is not found).
INSERT INTO audit_event_people (account_id, event_id)
SELECT DISTINCT m.account_id, e.id
FROM audit_events e
JOIN memberships m
    ON m.workspace_id = e.workspace_id
    AND m.id = (e.changes::jsonb ->> 'membership_id')::bigint
WHERE e.action = 'group.member_removed'
ON CONFLICT DO NOTHING;

INSERT INTO audit_event_people (account_id, event_id)
SELECT DISTINCT m.account_id, e.id
FROM audit_events e
CROSS JOIN LATERAL jsonb_array_elements_text(
    CASE WHEN jsonb_typeof(e.changes::jsonb -> 'members') = 'array'
        THEN e.changes::jsonb -> 'members' ELSE '[]'::jsonb END
) AS p (email)
JOIN accounts a ON a.email = p.email
JOIN memberships m ON m.account_id = a.id AND m.workspace_id = e.workspace_id
WHERE e.action = 'group.members_added'
ON CONFLICT DO NOTHING;

INSERT INTO audit_event_people (account_id, event_id)
SELECT DISTINCT m.account_id, e.id
FROM audit_events e
JOIN accounts a ON a.email = e.changes::jsonb ->> 'to'
JOIN memberships m ON m.account_id = a.id AND m.workspace_id = e.workspace_id
WHERE e.action IN ('app.access_granted', 'app.access_changed', 'app.access_revoked')
ON CONFLICT DO NOTHING;
