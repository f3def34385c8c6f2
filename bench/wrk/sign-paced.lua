-- sign.lua at a set pace: each connection waits the fifth argument's milliseconds before each
-- request, so C connections sign at most C * 1000 / delay times a second.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "sign.lua")

local sign_init, pause = init, 0

function init(args)
  sign_init(args)
  pause = tonumber(args[5])
end

function delay()
  return pause
end
