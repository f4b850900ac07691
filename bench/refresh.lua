-- wrk script: POST /api/token/refresh. Each request takes a refresh token that is not in
-- flight, and each answer's new token goes back to the pool, so every request is a rotation
-- (a token used twice would be a reuse). The token file comes after `--`, then the thread count:
-- each thread takes its own share of the tokens.
local pool = {}
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  local n = tonumber(args[2])
  local i = 0
  for line in io.lines(args[1]) do
    if i % n == id then
      pool[#pool + 1] = line
    end
    i = i + 1
  end
  if #pool == 0 then
    error("no refresh tokens for thread " .. id)
  end
end

function request()
  local token = table.remove(pool, 1) or "none"
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json", ["User-Agent"] = "sessiond-bench" },
    '{"refresh_token":"' .. token .. '"}')
end

function response(status, headers, body)
  local token = body:match('"refresh_token":"([^"]+)"')
  if token then
    pool[#pool + 1] = token
  end
end
