-- wrk script: request the path given on the command line (method from BENCH_METHOD, default
-- GET), cycling through the session cookies in the file passed after `--`, so every request
-- uses a different logged-in session.
local cookies = {}
local n = 0
local method = os.getenv("BENCH_METHOD") or "GET"

function init(args)
  for line in io.lines(args[1]) do
    cookies[#cookies + 1] = line
  end
  if #cookies == 0 then
    error("no cookies in " .. args[1])
  end
end

function request()
  n = n + 1
  -- A browser marks its own page's POSTs as same-origin: the CSRF defence lets them through.
  return wrk.format(method, nil, {
    ["Cookie"] = cookies[(n % #cookies) + 1],
    ["Sec-Fetch-Site"] = "same-origin",
    -- The client the sessions logged in with (bench/run): another one would be drift.
    ["User-Agent"] = "sessiond-bench",
  }, nil)
end
