-- Shared by the bench's wrk scripts: thread ids, status counts and a one-line JSON summary
-- (BENCH_JSON {...}) that bench/run.py reads instead of wrk's text report.

local threads = {}

function setup(thread)
  -- Each thread learns its number before init runs, to make its own unique values.
  thread:set("id", #threads)
  table.insert(threads, thread)
end

-- Per thread: answers by status, requests sent (scripts that make their own count them) and
-- requests that repeated an earlier one because the script's list ran out.
statuses = {}
sent = 0
reused = 0

function count_status(status)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local totals, sends, reuses = {}, 0, 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      totals[status] = (totals[status] or 0) + n
    end
    sends = sends + (thread:get("sent") or 0)
    reuses = reuses + (thread:get("reused") or 0)
  end
  local counts = {}
  for status, n in pairs(totals) do
    counts[#counts + 1] = string.format('"%s":%d', status, n)
  end
  -- Every latency wrk recorded, as [microseconds, requests] pairs: runs of one endpoint taken
  -- in turns (bench/run.py) are merged into exact percentiles, which wrk's own cannot give.
  local histogram = {}
  for i = 1, #latency do
    local value, n = latency(i)
    histogram[i] = string.format("[%d,%d]", value, n)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%.0f,"bytes":%.0f,'
      .. '"p50_us":%.0f,"p90_us":%.0f,"p99_us":%.0f,"max_us":%.0f,"mean_us":%.1f,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"statuses":{%s},"sent":%d,"reused":%d,"latency":[%s]}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(counts, ","), sends, reuses, table.concat(histogram, ",")))
end
