-- POSTs each confirmation link in a file once; thread k of n takes lines k, k+n, k+2n…
-- Arguments: file of paths, number of wrk threads, CSRF cookie, CSRF form token.
-- Should the links run out, the thread starts again and counts each repeat in `reused`.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local paths, body, cookie

function init(args)
  local threads = tonumber(args[2])
  paths, cookie = {}, args[3]
  body = "csrfmiddlewaretoken=" .. args[4]
  local n = 0
  for line in io.lines(args[1]) do
    if n % threads == id then
      paths[#paths + 1] = line
    end
    n = n + 1
  end
end

function request()
  sent = sent + 1
  if sent > #paths then
    reused = reused + 1
  end
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=" .. cookie,
  }
  return wrk.format("POST", paths[(sent - 1) % #paths + 1], headers, body)
end

function response(status, headers, body)
  count_status(status)
end
