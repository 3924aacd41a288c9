-- GET one path with the bearer token and cookie given in the environment (wrk's Lua reads os.getenv).
local token = os.getenv("BENCH_TOKEN")
local cookie = os.getenv("BENCH_COOKIE")
wrk.method = "GET"
wrk.path = os.getenv("BENCH_PATH")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end
