// Samples every process's argv (/proc/*/cmdline) every 20 ms for the whole fault run and reports
// any that holds a registered test secret (one a line in the file named by argv[2], re-read
// every half second as tests register theirs). Its own process, so sampling never disturbs the
// event-loop measurements of the tests.
import { readdirSync, readFileSync } from 'node:fs';

const file = process.argv[2];
let secrets = [];
const reload = () => {
  try {
    secrets = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    /* none registered yet */
  }
};
let samples = 0;
let processesSeen = 0;
const hits = [];
const reloadTimer = setInterval(reload, 500);
const timer = setInterval(() => {
  samples++;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || pid === String(process.pid)) continue;
    let cmd;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    processesSeen++;
    for (const s of secrets) if (cmd.includes(s) && hits.length < 50) hits.push({ pid, argv0: cmd.split('\0')[0] });
  }
}, 20);
process.on('SIGTERM', () => {
  clearInterval(timer);
  clearInterval(reloadTimer);
  reload();
  process.stdout.write(`${JSON.stringify({ samples, processesSeen, secrets: secrets.length, hits })}\n`, () => process.exit(0));
});
process.stdout.write('ready\n');
