-- wrk script for login throughput (docs/performance.md): every request logs the first-start
-- admin in, with the password read from the file named by the script's argument.
function init(args)
    local f = assert(io.open(args[1]))
    local password = f:read("*l")
    f:close()
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.body = '{"username":"admin","password":"' .. password .. '"}'
end
