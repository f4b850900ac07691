-- Seed 000's session fields, and who ended a session and the reason they gave (the admin API).
ALTER TABLE sessions ADD COLUMN display_name TEXT;
ALTER TABLE sessions ADD COLUMN auth_method TEXT;
ALTER TABLE sessions ADD COLUMN ended_by TEXT;
ALTER TABLE sessions ADD COLUMN end_note TEXT;
-- The admin list pages newest first by (created_at, id), over every session or one user's.
CREATE INDEX sessions_by_created ON sessions (created_at, id);
CREATE INDEX sessions_by_user_created ON sessions (user_id, created_at, id);
-- The audit trail is read newest stored first (by id): by session (a timeline) and by user.
CREATE INDEX audit_by_session_id ON audit_events (session_id, id);
CREATE INDEX audit_by_user_id ON audit_events (username_key, id);
