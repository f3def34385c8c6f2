-- Readers of a viral letter: each connection alternates between the letter page and the count
-- endpoint, the two things people reload. Arguments: the two paths.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local paths, turn = {}, 0

function init(args)
  paths = { args[1], args[2] }
end

function request()
  turn = turn + 1
  return wrk.format("GET", paths[turn % 2 + 1])
end

function response(status, headers, body)
  count_status(status)
end
