#!/usr/bin/env bash
# System services the test suite uses: PostgreSQL (127.0.0.1:5432) and Debian's chromium.
# Starts or installs them where this machine allows (root + Debian); otherwise says what is
# missing, and the tests that need them skip with that reason (under CI they fail instead).
set -u
can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
apt_install() {
  if [ ! -f /tmp/.mis-apt-updated ]; then apt-get update -qq >/dev/null 2>&1 && touch /tmp/.mis-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

if [ ! -x /usr/bin/chromium ]; then
  if can_apt; then echo "installing chromium (Debian package) for the browser tests…"; apt_install chromium || echo "warning: could not install chromium"; 
  else echo "note: /usr/bin/chromium missing and cannot install it: browser tests will skip"; fi
fi

# Chinese labels in browser screenshots need a CJK font.
if [ -x /usr/bin/chromium ] && ! fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy\|noto sans cjk"; then
  can_apt && apt_install fonts-wqy-microhei
fi

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ! pg_up; then
  if ! ls /etc/postgresql >/dev/null 2>&1 && can_apt && [ -n "${CI:-}" ]; then
    echo "installing postgresql (Debian package) for the PostgreSQL tests…"; apt_install postgresql
  fi
  if ls /etc/postgresql >/dev/null 2>&1 && command -v pg_ctlcluster >/dev/null 2>&1; then
    ver=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start >/dev/null 2>&1 || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  if pg_up; then
    # A fresh Debian cluster: trust local TCP for user postgres and create database test.
    hba=$(ls /etc/postgresql/*/main/pg_hba.conf 2>/dev/null | tail -n 1)
    if [ -n "$hba" ] && ! psql -h 127.0.0.1 -U postgres -d postgres -c 'select 1' >/dev/null 2>&1; then
      sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"; su postgres -c "psql -qc 'select pg_reload_conf()'" >/dev/null
    fi
    psql -h 127.0.0.1 -U postgres -d postgres -tAc "select 1 from pg_database where datname='test'" 2>/dev/null | grep -q 1 \
      || psql -h 127.0.0.1 -U postgres -d postgres -qc 'create database test' >/dev/null 2>&1 || true
  else
    echo "note: PostgreSQL not reachable at 127.0.0.1:5432: its tests will skip (fail under CI)"
  fi
fi
exit 0
