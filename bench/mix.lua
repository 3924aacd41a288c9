-- A mix: 6 reads of the inbox, 2 conversation opens, 1 recipient search, 1 reply.
local token = os.getenv("BENCH_TOKEN")
local inbox = "/api/v1/conversations?limit=25"
local conversation = os.getenv("BENCH_CONVERSATION")
local search = os.getenv("BENCH_SEARCH")
local reply = os.getenv("BENCH_REPLY")
local counter = 0
local thread_id = 0

-- Each wrk thread has its own Lua state with the same unseeded math.random: the thread number keeps the threads'
-- Idempotency-Keys apart, so every reply is a new message rather than a replay of another thread's.
function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function request()
  counter = counter + 1
  local headers = { ["Authorization"] = "Bearer " .. token }
  local slot = counter % 10
  if slot < 6 then return wrk.format("GET", inbox, headers) end
  if slot < 8 then return wrk.format("GET", conversation, headers) end
  if slot < 9 then return wrk.format("GET", search, headers) end
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = string.format("mix-%s-%d-%d-%d", os.getenv("BENCH_RUN") or "0", tid or 0,
    math.random(1, 1e9), counter)
  return wrk.format("POST", reply, headers, '{"body":"Benchmark reply"}')
end
