-- wrk script of the load benchmark's many-users case (benchmarks/load.sh): each request carries
-- one of many access tokens, read from the file $TOKENS (one per line), drawn by $DRAW:
--   zipf        rank k with probability proportional to 1/k (Zipf, exponent 1.0): a few users
--               send most requests, as real traffic does;
--   uniform     every token alike: the cache's worst case short of not fitting;
--   sequential  each token in turn: the warm-up pass that puts every token in the cache.
-- Each token's whole request is built once, at start: building it per request (`wrk.format`)
-- made the client, not the server, the limit.
local requests, cdf, n, seq = {}, {}, 0, 0
local draw = os.getenv("DRAW") or "zipf"

function init(args)
  for line in io.lines(os.getenv("TOKENS")) do
    if #line > 0 then
      requests[#requests + 1] = wrk.format("GET", wrk.path, { ["Authorization"] = "Bearer " .. line })
    end
  end
  n = #requests
  if draw == "zipf" then
    local total = 0
    for k = 1, n do total = total + 1 / k; cdf[k] = total end
    for k = 1, n do cdf[k] = cdf[k] / total end
  end
  math.randomseed(12345)
end

local function pick()
  if draw == "zipf" then
    local u, lo, hi = math.random(), 1, n
    while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      if cdf[mid] < u then lo = mid + 1 else hi = mid end
    end
    return lo
  elseif draw == "uniform" then
    return math.random(n)
  end
  seq = seq % n + 1
  return seq
end

function request()
  return requests[pick()]
end
