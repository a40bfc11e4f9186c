-- wrk's summary as one JSON line (bench/wrk.ts reads it), so nothing parses wrk's human units.
-- Latencies are in microseconds; `status` counts answers that were not 2xx or 3xx.
done = function(summary, latency, requests)
  io.write(string.format(
    'WRK_REPORT {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
end
