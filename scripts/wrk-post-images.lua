-- wrk script shared by bench-serve.sh and bench-api.sh: POST the images listed (one path a line) in
-- $BENCH_LIST to /v1/liveness as raw image/jpeg bodies, in turn; the files are read once, at start-up.
local bodies, i = {}, 0
init = function(args)
  for path in io.lines(os.getenv("BENCH_LIST")) do
    local f = assert(io.open(path, "rb")); bodies[#bodies + 1] = f:read("*a"); f:close()
  end
end
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/v1/liveness", {["Content-Type"] = "image/jpeg"}, bodies[i])
end
