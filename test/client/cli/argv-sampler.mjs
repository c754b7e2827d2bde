// Samples every process's argv (/proc/*/cmdline) until SIGTERM and reports any that contains one
// of the secrets read from stdin (a JSON array). Runs in its own process so the sampling never
// disturbs the event-loop measurements of the test that starts it.
import { readdirSync, readFileSync } from 'node:fs';

let secrets = [];
let input = '';
process.stdin.on('data', (b) => (input += b));
process.stdin.on('end', () => {
  secrets = JSON.parse(input);
  process.stdout.write('ready\n');
});
let samples = 0;
const hits = [];
const timer = setInterval(() => {
  if (!secrets.length) return;
  samples++;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || pid === String(process.pid)) continue;
    let cmd;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    for (const s of secrets) if (cmd.includes(s)) hits.push({ pid, argv: cmd.split('\0')[0] });
  }
}, 25);
process.on('SIGTERM', () => {
  clearInterval(timer);
  process.stdout.write(`${JSON.stringify({ samples, hits })}\n`, () => process.exit(0));
});
