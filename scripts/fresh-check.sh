#!/usr/bin/env bash
# Proves the README's two commands on a machine that has never seen the project: builds a fresh
# Debian 12 root (mmdebstrap, minbase, from this machine's own apt sources), puts Node 20 and git in
# it and nothing else, clones HEAD of this checkout into it, then runs `bash scripts/demo.sh` until
# the health route answers and `bash scripts/test.sh`, as root inside the root.
#
# Each command runs in new mount and PID namespaces (unshare --kill-child): every bind mount, FUSE
# mount and process the commands make lives and dies with that namespace, so nothing is left on
# this machine even when the check is interrupted. The commands keep root's full capabilities (the
# FUSE, network-namespace and loopback-address tests need CAP_SYS_ADMIN and CAP_NET_ADMIN) and share
# this machine's network (the registry, the Debian mirror, the tests' loopback addresses).
#
# Prints one verdict line (and the failing step with its log's tail), appends the result to the
# fresh-check section of docs/reliability.md and removes the root. Run as root:
#   bash scripts/fresh-check.sh
# Environment: PILLARS_SUITE_LOCK (a lock file held around the test step so whole-suite runs on a
# shared machine do not pile up; default /work/.suite.lock when /work exists), FRESH_CHECK_LOGS
# (where the step logs are kept, default /tmp/pillars-fresh-logs), FRESH_CHECK_SUITE (bookworm).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
suite=${FRESH_CHECK_SUITE:-bookworm}
lock=${PILLARS_SUITE_LOCK:-}
if [ -z "$lock" ] && [ -d /work ]; then lock=/work/.suite.lock; fi

if [ "$(id -u)" != 0 ]; then
  echo "fresh-check: FAIL at step prerequisites: must run as root (it builds a root with mmdebstrap and enters it)" >&2
  exit 2
fi
commit=$(git -C "$repo" rev-parse HEAD)
short=${commit:0:12}
dirty=$(git -C "$repo" status --porcelain --untracked-files=no -- . ':!docs/reliability.md')
if [ -n "$dirty" ]; then
  echo "fresh-check: warning: uncommitted changes are NOT checked (the root gets commit $short):" >&2
  echo "$dirty" | sed 's/^/  /' >&2
fi

started=$(date +%s)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
logs=${FRESH_CHECK_LOGS:-/tmp/pillars-fresh-logs}/$stamp-$short
mkdir -p "$logs"
work=$(mktemp -d "${TMPDIR:-/tmp}/pillars-fresh-XXXXXX")
root=$work/root
inner=        # pid of the unshare a step runs in (its child is the namespace's PID 1)
lockpid=      # pid of the flock waiting for the suite lock
step=prerequisites
durations=()

# Processes whose root directory is inside our root: only ours can be there.
procs_in_root() {
  local p l
  for p in /proc/[0-9]*; do
    l=$(readlink "$p/root" 2>/dev/null) || continue
    case "$l" in "$root" | "$root"/*) echo "${p#/proc/}" ;; esac
  done
}

# Ends the step's namespace: TERM to what runs in the root (pillarsd stops cleanly), then, if that
# is not enough, KILL to the namespace's PID 1, after which the kernel kills everything in it.
# unshare itself is no handle: it blocks SIGTERM and SIGINT while it waits for its child.
stop_inner() {
  local pids i
  [ -n "$inner" ] || return 0
  pids=$(procs_in_root)
  # shellcheck disable=SC2086
  [ -z "$pids" ] || kill -TERM $pids 2>/dev/null || true
  for i in $(seq 1 20); do
    kill -0 "$inner" 2>/dev/null || break
    [ "$i" = 20 ] && { pids=$(pgrep -P "$inner") && kill -KILL $pids 2>/dev/null || true; }
    sleep 0.5
  done
  wait "$inner" 2>/dev/null || true
  inner=
}

# Processes of a namespace just ended take a moment to go: waits (up to 15 s) until none is left.
gone_from_root() {
  local i
  for i in $(seq 1 30); do
    [ -z "$(procs_in_root)" ] && return 0
    sleep 0.5
  done
  return 1
}

cleanup() {
  local rc=$? pids m
  trap - EXIT INT TERM HUP
  [ -z "$lockpid" ] || kill "$lockpid" 2>/dev/null || true
  stop_inner
  for _ in 1 2 3 4 5; do
    pids=$(procs_in_root)
    [ -z "$pids" ] && break
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 1
  done
  # The namespaces keep every mount away from this machine; a mount seen here anyway is undone
  # before anything is removed, deepest first.
  while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(awk -v w="$work" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  if awk -v w="$work" 'index($5, w) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    echo "fresh-check: warning: mounts remain under $work; left in place" >&2
  else
    rm -rf --one-file-system "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
# an interrupted run is recorded too, with the steps it finished
trap 'echo "fresh-check: interrupted during step $step" >&2; verdict INTERRUPTED "interrupted during step $step"; exit 130' INT TERM HUP

verdict() { # PASS|FAIL [detail]
  local result=$1 detail=${2:-} took line
  took=$(( $(date +%s) - started ))
  took=$(printf '%dm%02ds' $((took / 60)) $((took % 60)))
  line="fresh-check: $result, commit $short, $took (${durations[*]:-no step finished})"
  [ -n "$detail" ] && line="$line; $detail"
  echo "$line"
  record "$result" "$took" "$detail"
}

# Appends one row to the fresh-check section of docs/reliability.md (creating the section).
record() {
  local doc=$repo/docs/reliability.md row
  row="| $(date -u '+%Y-%m-%d %H:%M UTC') | \`$short\` | $2 | ${durations[*]:-} | $1 | ${3:-} |"
  [ -f "$doc" ] || return 0
  if ! grep -q '<!-- /fresh-check -->' "$doc"; then
    cat >> "$doc" <<'EOF'

<!-- fresh-check -->
## The README's commands on a fresh Debian 12 (`scripts/fresh-check.sh`)

Method: `mmdebstrap --variant=minbase` builds a Debian 12 root from this machine's apt sources; it
gets Node 20 (copied from this machine) and git, and a clone of the commit; then, as root inside it
(new mount and PID namespaces, /proc, /sys and /dev bound from the host), `bash scripts/demo.sh`
runs until `GET /api/v1/health` answers, and `bash scripts/test.sh` runs to the end. One row per run.

| date | commit | duration | steps | verdict | failing step, or what passed |
|---|---|---|---|---|---|
<!-- /fresh-check -->
EOF
  fi
  awk -v row="$row" '$0 == "<!-- /fresh-check -->" { print row } { print }' "$doc" > "$doc.tmp" && mv "$doc.tmp" "$doc"
}

fail() { # message
  verdict FAIL "step $step: $1"
  if [ -f "$logs/$step.log" ]; then
    echo "--- last lines of $logs/$step.log (the logs of every step are in $logs) ---" >&2
    tail -n 40 "$logs/$step.log" >&2
  fi
  exit 1
}

timed() { # name seconds-started
  durations+=("$1 $(( $(date +%s) - $2 ))s")
}

# Runs a command as root inside the root, in new mount and PID namespaces: the namespace's mounts
# (proc, sys, dev, a fresh /run) are invisible here and vanish with it, and when unshare dies its
# child (PID 1 of the namespace) is killed, which ends every process in it.
in_root() { # command...
  # exec: the step's background pid is unshare itself, whose child is the namespace's PID 1
  exec unshare --mount --propagation private --pid --fork --kill-child=SIGKILL --mount-proc="$root/proc" -- \
    /bin/bash -c '
      set -e
      r=$1; shift
      # the root a mount point of its own, as / is on any machine (ip netns exec remounts / as a
      # slave, and the status reads whether / is a mount point)
      mount --rbind "$r" "$r"
      mount --rbind /sys "$r/sys"; mount --make-rslave "$r/sys"
      mount --rbind /dev "$r/dev"; mount --make-rslave "$r/dev"
      mount -t tmpfs -o mode=0755 tmpfs "$r/run"
      exec chroot "$r" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c "cd /root/pillars && $*"
    ' in-root "$root" "$@"
}

# --- step: prerequisites on this machine (mmdebstrap is the check's own tool, not the project's)
for tool in unshare chroot flock git node; do
  command -v "$tool" >/dev/null || fail "$tool is missing on this machine"
done
if ! command -v mmdebstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mmdebstrap > "$logs/$step.log" 2>&1 \
    || fail "cannot install mmdebstrap"
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" = 20 ] || fail "this machine's Node is $(node -v), the fresh machine needs Node 20"

# --- step: root (Debian 12 minbase + git, from this machine's apt sources)
step=root
t=$(date +%s)
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -s "$f" ] && sources+=("$f")
done
mmdebstrap --variant=minbase --include=ca-certificates,git "$suite" "$root" "${sources[@]}" > "$logs/$step.log" 2>&1 \
  || fail "mmdebstrap failed"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
cp /etc/hosts "$root/etc/hosts"
timed root "$t"

# Steps that are lists of commands run as functions with `|| return` on each: `set -e` does not
# apply inside a list on the left of `||`, so a failing command would otherwise go unnoticed.

# the certificate authorities this machine trusts beyond Debian's (a TLS proxy or a private
# registry in front of npm), installed the Debian way so later ca-certificates triggers keep them
carry_cas() {
  mkdir -p "$root/usr/local/share/ca-certificates" || return
  node -e '
    const fs = require("fs");
    const [debianBundle, into] = process.argv.slice(1);
    const certs = (f) => fs.readFileSync(f, "utf8").match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
    const debian = new Set(certs(debianBundle).map((c) => c.replace(/\s+/g, "")));
    certs("/etc/ssl/certs/ca-certificates.crt").filter((c) => !debian.has(c.replace(/\s+/g, ""))).forEach((c, i) => {
      fs.writeFileSync(`${into}/host-${i + 1}.crt`, c + "\n");
      console.log(`host CA ${i + 1} carried into the root`);
    });' "$root/etc/ssl/certs/ca-certificates.crt" "$root/usr/local/share/ca-certificates" || return
  chroot "$root" update-ca-certificates || return
}

# Node 20 and npm as this machine has them (its own package: node, npm, the headers that
# better-sqlite3 and keytar build against), with its npm configuration
put_node() {
  cp -a /usr/bin/node "$root/usr/bin/node" || return
  mkdir -p "$root/usr/lib/node_modules" "$root/usr/include" || return
  cp -a /usr/lib/node_modules/npm "$root/usr/lib/node_modules/" || return
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm" || return
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx" || return
  if [ -d /usr/include/node ]; then cp -a /usr/include/node "$root/usr/include/" || return; fi
  # npm's global configuration where this npm reads it (with prefix /usr: /usr/etc/npmrc), and root's
  local global
  global=$(npm config get globalconfig 2>/dev/null) || global=
  for f in /etc/npmrc "$global" /root/.npmrc; do
    if [ -n "$f" ] && [ -f "$f" ]; then mkdir -p "$root$(dirname "$f")" && cp -a "$f" "$root$f" || return; fi
  done
  carry_cas || return
  chroot "$root" /usr/bin/node -v || return
  chroot "$root" /usr/bin/node /usr/bin/npm -v || return
}

# the commit, as a fresh clone has it: no node_modules, no build output
clone_commit() {
  git clone --quiet --no-hardlinks "$repo" "$root/root/pillars" || return
  git -C "$root/root/pillars" checkout --quiet --detach "$commit" || return
  git -C "$root/root/pillars" log -1 --format='%H %s' || return
}

# --- step: node
step=node
t=$(date +%s)
put_node > "$logs/$step.log" 2>&1 || fail "cannot put Node 20 into the root"
timed node "$t"

# --- step: clone
step=clone
t=$(date +%s)
clone_commit > "$logs/$step.log" 2>&1 || fail "cannot clone $commit"
timed clone "$t"

# --- step: demo (`bash scripts/demo.sh` until GET /api/v1/health answers, then stopped)
step=demo
t=$(date +%s)
in_root 'bash scripts/demo.sh' > "$logs/$step.log" 2>&1 &
inner=$!
url=
deadline=$(( $(date +%s) + ${FRESH_CHECK_DEMO_SECONDS:-2400} ))
while :; do
  if ! kill -0 "$inner" 2>/dev/null; then
    wait "$inner" && rc=0 || rc=$?
    inner=
    fail "scripts/demo.sh exited ($rc) before its health route answered"
  fi
  [ "$(date +%s)" -lt "$deadline" ] || fail "no answer from the health route within ${FRESH_CHECK_DEMO_SECONDS:-2400} s"
  [ -n "$url" ] || url=$(sed -n 's/^admin URL: *\(http[^ ]*[^/]\)\/*$/\1/p' "$logs/$step.log" | tail -n 1)
  if [ -n "$url" ] && node -e '
      fetch(process.argv[1] + "/api/v1/health", { signal: AbortSignal.timeout(5000) })
        .then(async (r) => { const b = await r.json(); process.exit(r.status === 200 && b.ok === true ? 0 : 1); })
        .catch(() => process.exit(1));' "$url"; then
    echo "fresh-check: GET $url/api/v1/health answered 200 {ok: true}" >> "$logs/$step.log"
    break
  fi
  sleep 2
done
stop_inner
gone_from_root || fail "processes left in the root after the demo stopped: $(procs_in_root | paste -sd ' ' -)"
timed demo "$t"

# --- step: test (`bash scripts/test.sh`, under the shared suite lock)
step=test
t=$(date +%s)
if [ -n "$lock" ]; then
  echo "fresh-check: waiting for the suite lock $lock" > "$logs/$step.log"
  exec 9>"$lock"
  # in the background: bash runs a trap (an interrupt) only once its foreground child returns, and
  # the lock may be held for long; the lock stays with fd 9, which this shell holds
  flock 9 &
  lockpid=$!
  wait "$lockpid"
  lockpid=
fi
t=$(date +%s)
in_root 'bash scripts/test.sh' >> "$logs/$step.log" 2>&1 &
inner=$!
wait "$inner" && rc=0 || rc=$?
inner=
[ -n "$lock" ] && flock -u 9
[ "$rc" = 0 ] || fail "scripts/test.sh exited $rc ($(grep -aE '^ *(Test Files|Tests) ' "$logs/$step.log" | sed 's/\x1b\[[0-9;]*m//g' | tail -n 2 | tr -s ' ' | paste -sd ';' -))"
timed test "$t"

step=done
# what passed: one "Tests" line per vitest run in test.sh (the suite, then the fault suite)
verdict PASS "$(grep -aE '^ *Tests +[0-9]' "$logs/test.log" | sed 's/\x1b\[[0-9;]*m//g' | tr -s ' ' | sed 's/^ //' | paste -sd ';' -)"
