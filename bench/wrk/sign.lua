-- The signing form's POST, each with a new address: bench-<run>-<thread>-<n>@bench.example.
-- Arguments: path, address prefix, CSRF cookie, CSRF form token, language.
-- One CSRF pair serves every request, as it would one person signing many times.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local path, prefix, cookie, tail

function init(args)
  path, prefix, cookie = args[1], args[2], args[3]
  tail = "%40bench.example&affiliation=Independent&role=Engineer&public=on"
    .. "&language=" .. args[5] .. "&csrfmiddlewaretoken=" .. args[4]
end

function request()
  sent = sent + 1
  local who = id .. "-" .. sent
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=" .. cookie,
  }
  local body = "name=Bench+Signer+" .. who .. "&email=" .. prefix .. "-" .. who .. tail
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  count_status(status)
end
