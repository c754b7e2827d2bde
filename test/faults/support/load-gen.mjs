// Open-loop HTTP load for the load fault, in its own process so the test's SSE clients and RSS
// sampling never slow the generator (and the generator's GC never shows up as server latency).
// argv: URL RATE SECONDS; the bearer token comes on stdin, never in argv (the fault run's argv
// sampler would flag it). Every 10 ms it sends RATE/100 requests, cycling through the read routes
// a tray and an open pane poll; latency runs from the scheduled send to the last byte. Prints one
// JSON line: counts, the first errors, and latency percentiles.
import http from 'node:http';

const [url, rateArg, secondsArg] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const token = (
  await new Promise((resolve) => {
    let s = '';
    process.stdin.on('data', (b) => (s += b));
    process.stdin.on('end', () => resolve(s.trim()));
  })
).toString();
const PATHS = ['/api/v1/status', '/api/v1/jobs', '/api/v1/runs?limit=20', '/api/v1/status', '/api/v1/health'];
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const base = new URL(url);
const latencies = [];
const errors = [];
let sent = 0;
let ok = 0;
let pending = 0;

function one(p, scheduledAt) {
  sent++;
  pending++;
  const done = (err) => {
    pending--;
    if (err) {
      if (errors.length < 20) errors.push(`${p}: ${err}`);
    } else {
      ok++;
      latencies.push(performance.now() - scheduledAt);
    }
  };
  const req = http.request({ host: base.hostname, port: base.port, path: p, agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c) => (body += c));
    res.on('end', () => {
      if (res.statusCode !== 200) return done(`HTTP ${res.statusCode} ${body.slice(0, 200)}`);
      try {
        JSON.parse(body);
        done(null);
      } catch {
        done(`not JSON: ${body.slice(0, 200)}`);
      }
    });
  });
  req.on('error', (e) => done(e.message));
  req.end();
}

const perTick = rate / 100;
const t0 = performance.now();
let owed = 0;
let tick = 0;
await new Promise((resolve) => {
  const timer = setInterval(() => {
    // catch up on ticks a late timer missed: the offered rate stays RATE however the loop lags
    const due = Math.floor((performance.now() - t0) / 10);
    while (tick < due && tick < seconds * 100) {
      owed += perTick;
      const at = t0 + tick * 10;
      for (; owed >= 1; owed--) one(PATHS[sent % PATHS.length], at);
      tick++;
    }
    if (tick >= seconds * 100) {
      clearInterval(timer);
      resolve();
    }
  }, 10);
});
const graceEnd = performance.now() + 10_000;
while (pending > 0 && performance.now() < graceEnd) await new Promise((r) => setTimeout(r, 20));
latencies.sort((a, b) => a - b);
const q = (f) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))] : null);
process.stdout.write(`${JSON.stringify({ sent, ok, unfinished: pending, errors, seconds: (performance.now() - t0) / 1000, p50: q(0.5), p99: q(0.99), max: latencies.at(-1) ?? null })}\n`);
agent.destroy();
process.exit(0);
