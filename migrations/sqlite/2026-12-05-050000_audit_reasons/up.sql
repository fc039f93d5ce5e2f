-- Issue 18: the reason given for a suspension, block or removal, kept with its audit event (also in
-- `changes`), so the audit log filters by it and a member's console shows it.
ALTER TABLE audit_events ADD COLUMN reason TEXT;
