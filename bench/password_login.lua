-- wrk script: a password login of BENCH_USER with BENCH_PASSWORD at the path wrk is given
-- (/api/session/login or /api/token/login, which take the same body): Argon2-bound.
function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = '{"username":"' .. os.getenv("BENCH_USER") .. '","password":"' .. os.getenv("BENCH_PASSWORD") .. '"}'
end
