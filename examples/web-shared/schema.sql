-- The web examples' own data, one schema for both backends (Python and Kotlin), so that
-- several backend processes on one database file serve the same accounts and sessions.
-- Created on first start; every statement is idempotent.

-- People who signed up here. `id` is what the Authentication Cloud sees as the username: a
-- random, stable id with no personal data in it (the guide's advice); `username` is what
-- the person types and never leaves this database.
CREATE TABLE IF NOT EXISTS accounts (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,          -- argon2id, PHC string ($argon2id$v=19$m=…)
  created_at INTEGER NOT NULL,          -- Unix seconds
  cloud_user_id TEXT,                   -- the Authentication Cloud userId, once a phone is linked
  authenticator_id TEXT                 -- the phone linked last; logins push to this one only
                                        -- (NULL again after "Lost your phone?" removed it)
);

-- Browser sessions, signed in (account_id set) or not. The cookie holds a random value; only
-- its SHA-256 is stored, so a copy of the database does not let anyone in.
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,                  -- hex SHA-256 of the cookie value
  account_id TEXT REFERENCES accounts(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,             -- sent back by every form of this session
  expires_at INTEGER NOT NULL
);

-- Sessions that proved the phone: signed in by "Log in with your phone", or that linked
-- the phone themselves. Only these may create recovery codes (the codes stand in for the
-- phone, so a password alone must not mint them). Gone with the session.
CREATE TABLE IF NOT EXISTS phone_proofs (
  session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
  proved_at INTEGER NOT NULL            -- Unix seconds
);

-- What a session waits for: linking a phone (registration) or a login by phone. `id` is the
-- handle the login page polls with; the status token stays here, on the server.
CREATE TABLE IF NOT EXISTS operations (
  id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  flow TEXT NOT NULL,                   -- 'registration' | 'login'
  account_id TEXT,                      -- NULL: a login for an unknown username (nothing sent)
  cloud_user_id TEXT,
  transaction_id TEXT,
  status_token TEXT,
  number INTEGER,                       -- login: the two digits the page and the phone show
  known_authenticators TEXT,            -- registration: the user's authenticator ids before it, space-separated
  state TEXT NOT NULL DEFAULT 'pending',-- 'pending' | 'verifying' (single flight) | 'done'
  claimed_at INTEGER,                   -- when 'verifying' began; a claim older than a minute is stale
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS operations_by_session ON operations(session_id);

-- Recent attempts, for rate limits shared by every process: pushes per account and per
-- client address, sign-ins per username and per address, recovery codes per account.
CREATE TABLE IF NOT EXISTS attempts (
  bucket TEXT NOT NULL,                 -- e.g. 'push:user:alice', 'signin:address:127.0.0.1', 'recovery:account:acct-…'
  at REAL NOT NULL                      -- Unix seconds
);
CREATE INDEX IF NOT EXISTS attempts_by_bucket ON attempts(bucket, at);
