# The Debian packages the tests, the demo and a real motoko need (sourced by setup and .ci/run).
# Installed with --no-install-recommends: a Recommends is never there, so anything used must be
# here or in the Depends of what is here. `node scripts/programs.mjs` (run by the tests) proves that
# every program the code, tests, benchmarks and scripts start comes from this list.
# samba: smbd, testparm, smbcontrol, smbpasswd; samba-vfs-modules: catia, fruit and streams_xattr,
#   which every rendered share loads (only a Recommends of samba: without it every share answers
#   NT_STATUS_BAD_NETWORK_NAME); smbclient: the share probe;
# restic, rclone: the jobs; smbnetfs + fuse3: SMB mounts through FUSE; syncthing: hot-sets;
# gnome-keyring, libsecret, dbus-x11: a real keyring for keytar; chromium: browser tests;
# iproute2: network namespaces; openssl: the local HTTPS vault's certificate; procps/psmisc:
# process inspection in tests; attr: getfattr (the Samba tests read the streams' xattrs);
# e2fsprogs: chattr/lsattr (the client's mount-point guard);
# avahi-daemon, avahi-utils: Bonjour for Time Machine (the service file pillarsd writes, and
#   avahi-browse for `pillarsd check`); dbus-bin (dbus-send) and dbus-daemon: check asks avahi over
#   the system bus, and the tests start a private one;
# unzip: the download test unpacks the zip archive pillarsd streams from restic dump;
# systemd: systemd-analyze verifies the unit `pillarsd systemd` prints (a minimal Debian has no systemd);
# sqlite3, postgresql: the hook recipes of docs/hook-recipes.md run against a real SQLite and a
#   real PostgreSQL 15 cluster the test starts on a private socket (on a machine run by systemd the
#   package also starts its own cluster on :5432: `systemctl disable --now postgresql` if unwanted);
# mariadb-server: the MariaDB recipe runs against a real MariaDB 10.11 server the test starts on a
#   private socket with no TCP (under systemd the package starts its own server too:
#   `systemctl disable --now mariadb` if unwanted);
# docker.io: the docker recipe pauses a container of a real docker 20.10 daemon the test starts on a
#   private socket, without bridge or iptables (under systemd the package starts its own daemon too:
#   `systemctl disable --now docker docker.socket` if unwanted);
# python3, make, g++: npm ci builds better-sqlite3 and keytar from source (node-gyp);
# prometheus: promtool checks GET /metrics (Debian 12 ships promtool only in this package, 19 MB;
#   the tests start no Prometheus, but on a machine run by systemd the package enables one on
#   :9090: `systemctl disable --now prometheus` if it is not wanted).
PILLARS_APT_PACKAGES="samba samba-vfs-modules smbclient restic rclone smbnetfs fuse3 syncthing gnome-keyring libsecret-1-dev libsecret-tools dbus-x11 chromium iproute2 openssl procps psmisc attr e2fsprogs unzip systemd sqlite3 postgresql mariadb-server docker.io python3 make g++ git ca-certificates prometheus avahi-daemon avahi-utils dbus-bin dbus-daemon"
