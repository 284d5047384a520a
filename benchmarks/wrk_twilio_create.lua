-- wrk script: Twilio's "create message" (form POST with HTTP Basic auth), as the official
-- SDK sends it.  The recipient changes on every request, so no per-number cache flatters
-- the server.  WRK_AUTH holds the whole Authorization header value ("Basic ...").
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = os.getenv("WRK_AUTH")

request = function()
  counter = counter + 1
  local body = "To=%2B3630" .. tostring(2000000 + counter % 7000000) .. "&From=%2B15005550006&Body=Szia%21"
  return wrk.format(nil, nil, nil, body)
end
