-- The signing form's POST, each with a new address: bench-<run>-<thread>-<n>@bench.example.
-- Arguments: path, address prefix, the site's origin, language.
-- No CSRF token: the letter page is shared by every reader and has none; like a browser,
-- each request says where its form came from with Origin and Sec-Fetch-Site.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local path, prefix, origin, tail

function init(args)
  path, prefix, origin = args[1], args[2], args[3]
  tail = "%40bench.example&affiliation=Independent&role=Engineer&public=on"
    .. "&language=" .. args[4]
end

function request()
  sent = sent + 1
  local who = id .. "-" .. sent
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Origin"] = origin,
    ["Sec-Fetch-Site"] = "same-origin",
  }
  local body = "name=Bench+Signer+" .. who .. "&email=" .. prefix .. "-" .. who .. tail
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  count_status(status)
end
