-- A plain GET of the URL given to wrk. No response() callback: wrk then skips collecting
-- bodies, so the load generator spends its time on requests, not on Lua.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
