-- What a sessions:write key may assert (docs/api.md, "Backend API"): the roles, and when not
-- empty the users (username keys), it may create sessions and users for, as JSON lists. A key
-- made before this migration carries none, and asserts no one until `sessiond api-keys
-- set-roles` gives it some.
ALTER TABLE api_keys ADD COLUMN roles TEXT NOT NULL DEFAULT '[]';
ALTER TABLE api_keys ADD COLUMN users TEXT NOT NULL DEFAULT '[]';
