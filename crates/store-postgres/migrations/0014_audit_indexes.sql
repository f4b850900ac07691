-- A session's and a user's trail are read newest stored first, through the (…, id) indexes of
-- 0011. The (…, at) ones of 0001 served no query any more, and every audit record, one per
-- keep-alive, paid for keeping them (docs/performance.md, "Keep-alive").
DROP INDEX IF EXISTS audit_by_user;
DROP INDEX IF EXISTS audit_by_session;
