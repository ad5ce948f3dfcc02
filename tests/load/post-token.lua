-- wrk script for the login flood: POST /token with the tutorial's johndoe/secret, counting the
-- answers by status. wrk runs one Lua state per thread, so each thread counts into its own
-- globals and done() adds them up through thread:get().
--
-- Usage: wrk -t2 -c16 -d20s -s post-token.lua http://127.0.0.1:PORT/token

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=password&username=johndoe&password=secret&scope=me"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, unavailable, other = 0, 0, 0
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  elseif status == 503 then
    unavailable = unavailable + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local ok_total, unavailable_total, other_total = 0, 0, 0
  for _, thread in ipairs(threads) do
    ok_total = ok_total + thread:get("ok")
    unavailable_total = unavailable_total + thread:get("unavailable")
    other_total = other_total + thread:get("other")
  end
  local seconds = summary.duration / 1e6
  local answered = ok_total + unavailable_total + other_total
  io.write(string.format("FLOOD_STATUS 200=%d 503=%d other=%d\n",
    ok_total, unavailable_total, other_total))
  io.write(string.format("FLOOD_RATE seconds=%.2f requests_per_s=%.1f logins_per_s=%.2f share_503=%.3f\n",
    seconds, answered / seconds, ok_total / seconds,
    answered > 0 and unavailable_total / answered or 0))
  io.write(string.format("FLOOD_ERRORS connect=%d read=%d write=%d timeout=%d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
