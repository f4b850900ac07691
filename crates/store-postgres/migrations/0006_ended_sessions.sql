-- The revocations feed (GET /api/v1/revocations) pages through ended sessions by end time.
CREATE INDEX sessions_by_ended_at ON sessions (ended_at) WHERE ended_at IS NOT NULL;
