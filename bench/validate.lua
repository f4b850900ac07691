-- wrk script: POST /api/v1/sessions/validate (passive) with the backend API key in BENCH_API_KEY,
-- cycling through the session tokens of the cookie file passed after `--` (lines `name=token`).
local bodies = {}
local n = 0
local key = os.getenv("BENCH_API_KEY") or ""

function init(args)
  for line in io.lines(args[1]) do
    local token = line:match("=(.*)$")
    bodies[#bodies + 1] = '{"token":"' .. token .. '"}'
  end
  if #bodies == 0 then
    error("no tokens in " .. args[1])
  end
end

function request()
  n = n + 1
  return wrk.format("POST", nil, {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
  }, bodies[(n % #bodies) + 1])
end
