# The Debian packages the tests and the demo need (sourced by setup and .ci/run).
# samba/smbclient: the real smbd, testparm, smbcontrol, smbpasswd; samba-vfs-modules: the catia,
# fruit and streams_xattr modules every pillar share loads (only a Recommends of samba); attr: getfattr; restic, rclone: the jobs;
# smbnetfs + fuse3: SMB mounts through FUSE; syncthing: hot-sets; gnome-keyring, libsecret,
# dbus-x11: a real keyring for keytar; chromium: browser tests; iproute2: network namespaces;
# openssl: the local HTTPS vault's certificate; procps/psmisc: process inspection in tests;
# avahi-daemon, avahi-utils: Bonjour for Time Machine (the service file pillarsd writes, and
# avahi-browse for `pillarsd check`); dbus-bin (dbus-send) and dbus-daemon: check asks avahi over
# the system bus, and the tests start a private one;
# prometheus: promtool checks GET /metrics (Debian 12 ships promtool only in this package, 19 MB;
# the tests start no Prometheus, but on a machine run by systemd the package enables one on :9090:
# `systemctl disable --now prometheus` if it is not wanted).
PILLARS_APT_PACKAGES="samba samba-vfs-modules attr smbclient restic rclone smbnetfs fuse3 syncthing gnome-keyring libsecret-1-dev libsecret-tools dbus-x11 chromium iproute2 openssl procps psmisc git ca-certificates prometheus avahi-daemon avahi-utils dbus-bin dbus-daemon"
