-- wrk script: anonymous NPS answers to the public JSON endpoint, each a different score,
-- channel and comment, so no two requests are byte-identical (the route needs no token).
-- SURVEY_PATH is set by run.sh through the environment.
local path = os.getenv("SURVEY_PATH")
local channels = { "web", "widget", "link", "qr" }
local comments = { "", "배송이 빨라요", "포장이 엉망이에요", "fast checkout", "" }
local counter = 0

function init(args)
  counter = math.random(1, 1000000)
end

request = function()
  counter = counter + 1
  local body = string.format('{"score":%d,"channel":"%s","comment":"%s %d"}',
    counter % 11, channels[counter % 4 + 1], comments[counter % 5 + 1], counter)
  return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, body)
end
