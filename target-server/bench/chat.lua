-- wrk script for target-server: logs in, then drives one endpoint.
--
--   wrk -t2 -c64 -d10s -s chat.lua http://127.0.0.1:PORT -- bots     [password]
--   wrk -t2 -c64 -d10s -s chat.lua http://127.0.0.1:PORT -- messages [password]
--
-- Every wrk thread logs in first (a unique username per thread) and keeps
-- the token from the answer; in `messages` mode it then creates one
-- conversation and posts messages into it. The few setup requests are
-- included in wrk's totals (about one per connection).

local mode = "bots"
local password = "demo"
local token = nil
local conversation = nil
local sent = 0

function init(args)
  mode = args[1] or "bots"
  password = args[2] or "demo"
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

local json = { ["Content-Type"] = "application/json" }

local function authed()
  return {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }
end

function request()
  if token == nil then
    local user = "wrk-" .. math.random(1, 1000000000)
    return wrk.format("POST", "/api/auth/login", json,
      '{"username":"' .. user .. '","password":"' .. password .. '"}')
  end
  if mode == "bots" then
    return wrk.format("GET", "/api/bots", authed())
  end
  if conversation == nil then
    return wrk.format("POST", "/api/conversations", authed(), '{"bot_id":2}')
  end
  sent = sent + 1
  return wrk.format("POST", "/api/conversations/" .. conversation .. "/messages",
    authed(), '{"text":"load test message number ' .. sent .. '"}')
end

function response(status, headers, body)
  if token == nil and status == 200 then
    token = string.match(body, '"token":"(%x+)"')
  elseif conversation == nil and status == 201 and mode == "messages" then
    conversation = string.match(body, '"id":(%d+)')
  end
end
