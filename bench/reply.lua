-- POST a reply with a unique Idempotency-Key per request, so every request is a real, durable send.
local token = os.getenv("BENCH_TOKEN")
local path = os.getenv("BENCH_PATH")
local counter = 0
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function request()
  counter = counter + 1
  local key = string.format("bench-%s-%d-%d", os.getenv("BENCH_RUN") or "0", tid or 0, counter)
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
  }, '{"body":"Benchmark reply"}')
end
