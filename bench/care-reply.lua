-- A provider's replies, in turn to each of the conversations in BENCH_CARE_REPLIES (paths separated by spaces), with a
-- unique Idempotency-Key per request: every request is a real, durable send that also writes the patient side's email
-- notices into the outbox (or finds one already waiting within 15 minutes).
local token = os.getenv("BENCH_CARE_TOKEN")
local paths = {}
for path in string.gmatch(os.getenv("BENCH_CARE_REPLIES") or "", "%S+") do
  paths[#paths + 1] = path
end
local counter = 0
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function request()
  counter = counter + 1
  local key = string.format("bench-care-%s-%d-%d", os.getenv("BENCH_RUN") or "0", tid or 0, counter)
  return wrk.format("POST", paths[(counter + (tid or 0) * 7) % #paths + 1], {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
  }, '{"body":"Benchmark reply from the care team"}')
end
