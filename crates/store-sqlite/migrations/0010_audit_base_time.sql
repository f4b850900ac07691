-- When the audit chain's base record was written: retention deletes only records older than its
-- window, so `sessiond audit verify` calls a base inside the window what it is (recent records
-- deleted), without an anchor. Null for a base moved before this migration.
ALTER TABLE audit_chain ADD COLUMN base_at INTEGER;
