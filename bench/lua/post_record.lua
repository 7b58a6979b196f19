-- wrk script: POST one realistic emr_patient_info record per request, each with a unique id.
-- Usage: wrk -t2 -c16 -d10s -s bench/lua/post_record.lua http://127.0.0.1:8881 -- <run-tag>
-- Prints one JSON line at the end: requests, accepted (reply "result":true), refused, errors.
-- Synthetic data only: the ID number below is made up (valid check digit, fictitious person).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  prefix = (args[1] or "bench") .. "-" .. tid .. "-"
  counter = 0
  accepted = 0
  refused = 0
end

local path = "/hclient/emr/receive/emrPatientInfo"
local headers = { ["Content-Type"] = "application/json" }
local template = '{"id":"%s","patientName":"王小明","idCardTypeCode":"01",'
  .. '"idCardTypeName":"居民身份证","idCard":"11010519491231002X","genderCode":"2",'
  .. '"genderName":"女","birthDate":"1949-12-31","nationalityCode":"156",'
  .. '"nationalityName":"中国","nationCode":"01","nationName":"汉族",'
  .. '"currentAddrCode":"110105001","currentAddrName":"北京市朝阳区建外街道",'
  .. '"currentAddrDetail":"建国路 88 号 3 单元 502","workunit":"某某科技有限公司",'
  .. '"tel":"13800138000","orgCode":"123456789","orgName":"模拟市第一人民医院",'
  .. '"operatorId":"doc001","operationTime":"2026-03-01 08:30:00","invalidFlag":"0"}'

function request()
  counter = counter + 1
  return wrk.format("POST", path, headers, string.format(template, prefix .. counter))
end

function response(status, hdrs, body)
  if status == 200 and string.find(body, '"result":true', 1, true) then
    accepted = accepted + 1
  else
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local ok, bad = 0, 0
  for _, thread in ipairs(threads) do
    ok = ok + thread:get("accepted")
    bad = bad + thread:get("refused")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"accepted":%d,"refused":%d,"duration_us":%d,'
    .. '"socket_errors":%d,"latency_p50_us":%d,"latency_p99_us":%d}\n',
    summary.requests, ok, bad, summary.duration,
    e.connect + e.read + e.write + e.timeout + e.status,
    latency:percentile(50), latency:percentile(99)))
end
