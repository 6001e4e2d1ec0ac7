#!/usr/bin/env bash
# The PostgreSQL servers the tests use, on this machine (Debian's postgresql-15 and its cluster tools):
#
#   15/main    127.0.0.1:5432  the server the tests create their databases on
#   15/outage  127.0.0.1:5433  a second server that tests stop and start themselves to simulate an outage
#
# both with the login role activitylog (password activitylog, CREATEDB, member of pg_signal_backend so that DROP DATABASE … WITH (FORCE) can end an autovacuum worker), password (scram-sha-256) auth from
# 127.0.0.1, and tuned for test speed rather than durability (fsync, synchronous_commit, full_page_writes off;
# max_connections 200).
#
#   scripts/postgres.sh start    make all of the above true; a quick no-op when it already is
#   scripts/postgres.sh stop     stop both clusters (they keep their data and settings)
#   scripts/postgres.sh status   show both clusters
#
# Run as root: it installs postgresql-15 with apt-get if it is missing, creates the outage cluster if it is missing,
# and talks to the servers as the postgres user over the unix socket. Never run it against a server that holds data
# you care about: the tuning above trades crash safety for speed.
set -euo pipefail

readonly VERSION=15
readonly ROLE=activitylog
readonly ROLE_PASSWORD=activitylog
readonly HOST=127.0.0.1
# cluster:port pairs
readonly CLUSTERS=("main:5432" "outage:5433")
readonly -A TUNING=([fsync]=off [synchronous_commit]=off [full_page_writes]=off [max_connections]=200)

log() { echo "postgres.sh: $*"; }
fail() {
  echo "postgres.sh: ERROR: $*" >&2
  exit 1
}

# psql as the postgres superuser over the unix socket of the cluster on port $1; SQL on stdin.
admin_psql() {
  local port=$1
  (cd / && su postgres -s /bin/sh -c "psql --no-psqlrc --quiet --tuples-only --no-align -v ON_ERROR_STOP=1 -p $port -d postgres")
}

# psql as the activitylog role over TCP with the given password; prints psql's error on failure.
role_login() {
  local port=$1 password=$2
  PGPASSWORD="$password" PGCONNECT_TIMEOUT=5 PGSSLMODE=disable \
    psql --no-psqlrc --quiet --tuples-only --no-align -h "$HOST" -p "$port" -U "$ROLE" -d postgres \
    -c 'SELECT 1' 2>&1
}

# pg_ctlcluster without the lock's descriptor: a server it starts must not hold the lock for its whole life.
pgctl() { pg_ctlcluster "$@" 9>&-; }

cluster_field() { # cluster_field NAME COLUMN -> value from pg_lsclusters (empty when the cluster does not exist)
  pg_lsclusters --no-header 2>/dev/null | awk -v v="$VERSION" -v c="$1" -v f="$2" '$1 == v && $2 == c { print $f }'
}

ensure_installed() {
  if command -v pg_ctlcluster >/dev/null && [ -x "/usr/lib/postgresql/$VERSION/bin/postgres" ]; then
    return
  fi
  log "installing postgresql-$VERSION with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "postgresql-$VERSION" "postgresql-client-$VERSION" >/dev/null 9>&- ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends "postgresql-$VERSION" "postgresql-client-$VERSION" >/dev/null 9>&-; } ||
    fail "could not install postgresql-$VERSION with apt-get"
}

ensure_cluster() { # ensure_cluster NAME PORT
  local name=$1 port=$2 actual_port
  if [ -z "$(cluster_field "$name" 2)" ]; then
    log "creating cluster $VERSION/$name on port $port"
    pg_createcluster "$VERSION" "$name" --port "$port" >/dev/null 9>&- ||
      fail "pg_createcluster $VERSION $name --port $port failed"
  fi
  actual_port=$(cluster_field "$name" 3)
  [ "$actual_port" = "$port" ] ||
    fail "cluster $VERSION/$name is set up on port $actual_port, the tests expect $port (see /etc/postgresql/$VERSION/$name/postgresql.conf)"
  if [ "$(cluster_field "$name" 4)" != online ]; then
    log "starting cluster $VERSION/$name"
    pgctl "$VERSION" "$name" start ||
      fail "pg_ctlcluster $VERSION $name start failed; see /var/log/postgresql/postgresql-$VERSION-$name.log"
  fi
}

ensure_role_and_tuning() { # ensure_role_and_tuning NAME PORT
  local name=$1 port=$2 state role sql="" setting value restart=no
  # One round trip: the role's rights, then name=value of each tuned setting (and whether it waits for a restart).
  state=$(admin_psql "$port" <<SQL
SELECT coalesce((SELECT CASE WHEN rolcanlogin AND rolcreatedb AND pg_has_role(oid, 'pg_signal_backend', 'MEMBER')
                        THEN 'ok' ELSE 'rights' END
                 FROM pg_roles WHERE rolname = '$ROLE'), 'missing');
SELECT name || '=' || setting || CASE WHEN pending_restart THEN '!' ELSE '' END
FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'max_connections')
ORDER BY name;
SQL
  ) || fail "cannot run psql as postgres on cluster $VERSION/$name (port $port)"

  role=$(echo "$state" | head -n 1)
  case $role in
    missing)
      log "$VERSION/$name: creating role $ROLE"
      echo "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$ROLE_PASSWORD'; GRANT pg_signal_backend TO $ROLE;" | admin_psql "$port" >/dev/null ||
        fail "could not create role $ROLE on $VERSION/$name" ;;
    rights)
      log "$VERSION/$name: granting LOGIN CREATEDB and pg_signal_backend to role $ROLE"
      echo "ALTER ROLE $ROLE LOGIN CREATEDB; GRANT pg_signal_backend TO $ROLE;" | admin_psql "$port" >/dev/null ||
        fail "could not alter role $ROLE on $VERSION/$name" ;;
  esac

  for setting in "${!TUNING[@]}"; do
    value=$(echo "$state" | grep "^$setting=" | cut -d= -f2)
    if [ "$value" != "${TUNING[$setting]}" ]; then
      sql+="ALTER SYSTEM SET $setting = '${TUNING[$setting]}';"$'\n'
      restart=yes
    fi
  done
  if [ -n "$sql" ]; then
    log "$VERSION/$name: setting $(echo "$sql" | grep -o 'SET [a-z_]* = [^;]*' | sed 's/^SET //' | paste -sd, -)"
    echo "$sql" | admin_psql "$port" >/dev/null || fail "ALTER SYSTEM failed on $VERSION/$name"
  fi
  if [ "$restart" = yes ] || echo "$state" | grep -q '!$'; then
    log "$VERSION/$name: restarting to apply the settings"
    pgctl "$VERSION" "$name" restart ||
      fail "pg_ctlcluster $VERSION $name restart failed; see /var/log/postgresql/postgresql-$VERSION-$name.log"
  fi
}

hba_file() { echo "SHOW hba_file;" | admin_psql "$1"; }

# Password auth over TCP from 127.0.0.1: the right password must be accepted and a wrong one refused.
ensure_password_login() { # ensure_password_login NAME PORT
  local name=$1 port=$2 output
  if ! output=$(role_login "$port" "$ROLE_PASSWORD"); then
    if echo "$output" | grep -q 'password authentication failed'; then
      log "$VERSION/$name: resetting the password of role $ROLE"
      echo "ALTER ROLE $ROLE PASSWORD '$ROLE_PASSWORD';" | admin_psql "$port" >/dev/null ||
        fail "could not set the password of role $ROLE on $VERSION/$name"
    elif echo "$output" | grep -q 'no pg_hba.conf entry'; then
      add_hba_rule "$name" "$port"
    else
      fail "$VERSION/$name: $ROLE cannot log in on $HOST:$port: $output"
    fi
    output=$(role_login "$port" "$ROLE_PASSWORD") ||
      fail "$VERSION/$name: $ROLE still cannot log in on $HOST:$port with its password: $output"
  fi
  if role_login "$port" "not-the-password" >/dev/null; then
    # The first matching pg_hba.conf rule does not ask for a password (trust): put a scram rule before it.
    add_hba_rule "$name" "$port"
    ! role_login "$port" "not-the-password" >/dev/null ||
      fail "$VERSION/$name: $HOST:$port accepts $ROLE without checking its password; fix $(hba_file "$port")"
  fi
}

add_hba_rule() { # add_hba_rule NAME PORT: put 'host all activitylog 127.0.0.1/32 scram-sha-256' first, then reload
  local name=$1 port=$2 hba
  hba=$(hba_file "$port") || fail "cannot read hba_file of $VERSION/$name"
  log "$VERSION/$name: allowing scram-sha-256 password auth for $ROLE from $HOST in $hba"
  sed -i "1i host    all             $ROLE     $HOST/32            scram-sha-256" "$hba"
  pgctl "$VERSION" "$name" reload || fail "pg_ctlcluster $VERSION $name reload failed"
}

start() {
  local entry name port
  ensure_installed
  for entry in "${CLUSTERS[@]}"; do
    name=${entry%%:*}
    port=${entry##*:}
    ensure_cluster "$name" "$port"
    ensure_role_and_tuning "$name" "$port"
    ensure_password_login "$name" "$port"
    log "$VERSION/$name ready: Host=$HOST;Port=$port;Username=$ROLE;Password=$ROLE_PASSWORD"
  done
}

stop() {
  local entry name
  command -v pg_ctlcluster >/dev/null || { log "PostgreSQL is not installed: nothing to stop"; return; }
  for entry in "${CLUSTERS[@]}"; do
    name=${entry%%:*}
    if [ "$(cluster_field "$name" 4)" = online ]; then
      log "stopping cluster $VERSION/$name"
      pgctl "$VERSION" "$name" stop -m fast || fail "pg_ctlcluster $VERSION $name stop failed"
    else
      log "cluster $VERSION/$name is not running"
    fi
  done
}

usage() {
  echo "usage: $0 start|stop|status" >&2
  exit 2
}

[ $# -eq 1 ] || usage
case $1 in
  start | stop) ;;
  status)
    pg_lsclusters
    exit 0 ;;
  *) usage ;;
esac

[ "$(id -u)" -eq 0 ] || fail "run as root: it manages the PostgreSQL clusters with pg_ctlcluster and su postgres"

# One caller at a time (two test runs starting together must not both create the cluster).
exec 9>/run/lock/activitylog-postgres.lock
flock -w 120 9 || fail "waited 2 minutes for /run/lock/activitylog-postgres.lock, held by another scripts/postgres.sh (lsof /run/lock/activitylog-postgres.lock tells which)"

"$1"
