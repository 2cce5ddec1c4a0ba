#!/usr/bin/env bash
# Local backing services for development and CI, without Docker (there is none on our
# machines): Redis, PostgreSQL and a single-node KRaft Kafka broker, all bound to 127.0.0.1,
# all state under one directory. See DESIGN.md §7 and ../shared/notes/kafka-from-maven.md.
# Also a local Redis Cluster: 3 masters with one replica each, Debian's redis-server in cluster
# mode on six loopback ports, joined with `redis-cli --cluster create`.
#
# Usage: bash scripts/services.sh up|down|status|env
#        bash scripts/services.sh start|stop redis|redis-cluster|postgres|kafka
#   up      install missing Debian packages, start whatever is not running, wait until ready
#   down    stop all four (idempotent)
#   status  one line per service; exit 0 only if all four are up
#   env     print export lines for the app and the tests: eval "$(bash scripts/services.sh env)"
#   start   start one service (idempotent; waits until it is ready)
#   stop    stop one service (idempotent); the fault tests use these, and restart what they stop
#
# Environment:
#   RISK_SERVICES_DIR           state directory (default: /var/tmp/risk-scoring-services, one
#                               per machine, so that every clone's `up` finds the same running
#                               services instead of fighting over their ports)
#   RISK_REDIS_PORT             6380
#   RISK_REDIS_CLUSTER_PORT     7000: the cluster's first port; it uses six (7000-7005) and
#                               their cluster bus ports (17000-17005)
#   RISK_PG_PORT                5433
#   RISK_KAFKA_PORT             9092
#   RISK_KAFKA_CONTROLLER_PORT  9093
# Not Redis's and PostgreSQL's usual 6379/5432: installing the Debian packages starts their
# own system instances there, which we leave alone.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Absolute, because postgres commands run from / (see as_pg_owner) and Kafka from its own dir.
STATE_DIR="$(realpath -m -- "${RISK_SERVICES_DIR:-/var/tmp/risk-scoring-services}")"

REDIS_PORT="${RISK_REDIS_PORT:-6380}"
CLUSTER_PORT="${RISK_REDIS_CLUSTER_PORT:-7000}"
CLUSTER_SIZE=6
PG_PORT="${RISK_PG_PORT:-5433}"
KAFKA_PORT="${RISK_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${RISK_KAFKA_CONTROLLER_PORT:-9093}"

REDIS_DIR="$STATE_DIR/redis"
REDIS_CONF="$REDIS_DIR/redis.conf"
REDIS_PIDFILE="$REDIS_DIR/redis.pid"
REDIS_LOG="$REDIS_DIR/redis.log"

CLUSTER_DIR="$STATE_DIR/redis-cluster"

PG_DIR="$STATE_DIR/postgres"
PG_DATA="$PG_DIR/data"
PG_RUN="$PG_DIR/run"
PG_LOG="$PG_DIR/postgres.log"

KAFKA_DIR="$STATE_DIR/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_PROPS="$KAFKA_DIR/server.properties"
KAFKA_PIDFILE="$KAFKA_DIR/kafka.pid"
KAFKA_LOG="$KAFKA_DIR/kafka.log"
KAFKA_SERVER_LOG="$KAFKA_DIR/logs/server.log"
KAFKA_POM="$SCRIPT_DIR/kafka/pom.xml"
KAFKA_LOG4J="$SCRIPT_DIR/kafka/log4j2.properties"
KAFKA_READY_TIMEOUT=90
# The JVM command for the broker and its StorageTool: a 512 MB heap is plenty for a dev broker
# and leaves room for the app and tests on small CI machines (Kafka's own default is 1 GB);
# the G1 flags are the ones Kafka's kafka-run-class.sh uses.
KAFKA_JAVA=(java -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  -Dkafka.logs.dir="$KAFKA_DIR/logs" -Dlog4j2.configurationFile="$KAFKA_LOG4J"
  -cp "$KAFKA_LIBS/*")

# ---------------------------------------------------------------------------------------------
# helpers

log() { printf '[services] %s\n' "$*" >&2; }

die() {
  log "error: $*"
  exit 1
}

# fail_with_logs MESSAGE FILE...: the error plus the tail of each log, so CI output alone is
# enough to see why a service did not come up.
fail_with_logs() {
  local msg="$1" f
  shift
  log "error: $msg"
  for f in "$@"; do
    if [[ -s "$f" ]]; then
      log "last lines of $f:"
      tail -n 30 -- "$f" | sed 's/^/[services]   | /' >&2
    fi
  done
  exit 1
}

# read_pid FILE: the number on the file's first line, or nothing.
read_pid() {
  local pid=""
  if [[ -r "$1" ]]; then
    pid="$(head -n 1 -- "$1" 2>/dev/null | tr -dc '0-9')"
  fi
  printf '%s' "$pid"
}

# pid_alive PID: running and not a zombie. Zombies matter: in containers PID 1 may reap
# orphans late or never (on these machines it takes a second or two), kill -0 succeeds on a
# zombie, and `down` would wait for a process that has already exited.
pid_alive() {
  local state
  [[ -n "$1" ]] || return 1
  kill -0 "$1" 2>/dev/null || return 1
  state="$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ "$state" != Z && "$state" != X ]]
}

pid_gone() { ! pid_alive "$1"; }

# pid_reaped PID: not even a zombie any more.
pid_reaped() { ! kill -0 "$1" 2>/dev/null; }

# pid_cmd_has PID STRING: the process's command line contains STRING (guards against a stale
# pid file whose number now belongs to some unrelated process).
pid_cmd_has() {
  [[ -r "/proc/$1/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$2"
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT (bash's /dev/tcp, so
# no dependency on ss/netstat/nc).
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until SECONDS COMMAND...: polls COMMAND every half second; non-zero on timeout.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    if ((SECONDS >= deadline)); then return 1; fi
    sleep 0.5
  done
}

# pg_bindir: the PostgreSQL binaries to use. The version that created the cluster if there is
# one (a newer major cannot open it), otherwise the newest installed.
pg_bindir() {
  local version=""
  if [[ -r "$PG_DATA/PG_VERSION" ]]; then
    version="$(cat -- "$PG_DATA/PG_VERSION")"
  else
    version="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null |
      awk -F/ '{print $5}' | sort -V | tail -n 1)"
  fi
  if [[ -n "$version" && -x "/usr/lib/postgresql/$version/bin/initdb" ]]; then
    printf '%s' "/usr/lib/postgresql/$version/bin"
  fi
}

# as_pg_owner COMMAND...: postgres refuses to run as root, so as root run it as the `postgres`
# OS user (created by the Debian package); anyone else runs and owns the cluster themselves.
# From / because the caller's cwd may not be readable by postgres (initdb/pg_ctl complain).
as_pg_owner() {
  if ((EUID == 0)); then
    (cd / && runuser -u postgres -- "$@" 9>&-)
  else
    (cd / && "$@" 9>&-)
  fi
}

pg_owner() {
  if ((EUID == 0)); then echo postgres; else id -un; fi
}

# ---------------------------------------------------------------------------------------------
# packages

ensure_packages() {
  local missing=()
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    missing+=(redis-server)
  fi
  if [[ -z "$(pg_bindir)" ]]; then missing+=(postgresql); fi
  if ! command -v kcat >/dev/null; then missing+=(kcat); fi
  # Preinstalled on our machines, but a fresh CI image may lack them.
  if ! command -v java >/dev/null; then missing+=(openjdk-17-jre-headless); fi
  if ! command -v mvn >/dev/null; then missing+=(maven); fi
  # The console's browser test (test/integration/console-browser.test.ts) drives it.
  if ! command -v chromium >/dev/null; then missing+=(chromium); fi
  if ((${#missing[@]} == 0)); then return 0; fi

  local sudo=()
  if ((EUID != 0)); then sudo=(sudo); fi
  log "installing missing Debian packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq >&2 || die "apt-get update failed"
  # The packages' postinst scripts start their own system instances on the default ports;
  # harmless, ours use other ports and directories.
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 ||
    die "apt-get install ${missing[*]} failed"
  if [[ -z "$(pg_bindir)" ]]; then die "postgresql installed but no /usr/lib/postgresql/*/bin/initdb"; fi
}

# ---------------------------------------------------------------------------------------------
# Redis

redis_ping() {
  [[ "$(timeout 5 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

# Our redis-server process (it rewrites its title to "redis-server 127.0.0.1:<port>").
redis_proc_ok() {
  local pid
  pid="$(read_pid "$REDIS_PIDFILE")"
  pid_alive "$pid" && pid_cmd_has "$pid" "redis-server 127.0.0.1:$REDIS_PORT"
}

redis_up() { command -v redis-cli >/dev/null && redis_proc_ok && redis_ping; }

redis_start() {
  if redis_up; then
    log "redis: already running (pid $(read_pid "$REDIS_PIDFILE"), port $REDIS_PORT)"
    return 0
  fi
  local pid
  pid="$(read_pid "$REDIS_PIDFILE")"
  if ! redis_proc_ok && pid_alive "$pid" && pid_cmd_has "$pid" redis-server; then
    die "redis: this state dir's redis (pid $pid) runs on another port; run 'down' first"
  fi
  if ! redis_proc_ok; then
    if port_open "$REDIS_PORT"; then
      die "redis: port $REDIS_PORT is in use by another process (set RISK_REDIS_PORT)"
    fi
    mkdir -p "$REDIS_DIR"
    # Rewritten on every start so that a changed port or state dir takes effect.
    cat >"$REDIS_CONF" <<EOF
# Generated by scripts/services.sh on every start: edit the script, not this file.
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize yes
pidfile "$REDIS_PIDFILE"
logfile "$REDIS_LOG"
dir "$REDIS_DIR"
# A cache for tests and dev: no persistence, so a restart is always a clean start.
save ""
appendonly no
EOF
    log "redis: starting on 127.0.0.1:$REDIS_PORT"
    # Errors in the config are printed before daemonizing, i.e. to stderr, not to the logfile.
    redis-server "$REDIS_CONF" >>"$REDIS_LOG" 2>&1 9>&- ||
      fail_with_logs "redis: redis-server failed to start" "$REDIS_LOG"
  else
    log "redis: process running but not answering yet; waiting"
  fi
  wait_until 20 redis_up ||
    fail_with_logs "redis: not answering PING on port $REDIS_PORT after 20 s" "$REDIS_LOG"
  log "redis: ready (pid $(read_pid "$REDIS_PIDFILE"))"
}

redis_stop() {
  local pid
  pid="$(read_pid "$REDIS_PIDFILE")"
  if ! pid_alive "$pid" || ! pid_cmd_has "$pid" redis-server; then
    log "redis: not running"
    rm -f -- "$REDIS_PIDFILE"
    return 0
  fi
  log "redis: stopping (pid $pid)"
  timeout 10 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  # SHUTDOWN misses when the port was changed since `up`; fall back to signals (SIGTERM is a
  # clean shutdown for redis, and with no persistence configured nothing is saved).
  if ! wait_until 10 pid_gone "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_until 10 pid_gone "$pid"; then
      log "redis: still running after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      wait_until 5 pid_gone "$pid" || die "redis: pid $pid will not exit"
    fi
  fi
  rm -f -- "$REDIS_PIDFILE"
  log "redis: stopped"
}

# ---------------------------------------------------------------------------------------------
# Redis Cluster: six redis-server processes in cluster mode, 3 masters and 3 replicas

cluster_ports() { seq "$CLUSTER_PORT" $((CLUSTER_PORT + CLUSTER_SIZE - 1)); }
cluster_range() { printf '%s-%s' "$CLUSTER_PORT" $((CLUSTER_PORT + CLUSTER_SIZE - 1)); }

cluster_nodes_list() {
  local p out=""
  for p in $(cluster_ports); do out+="${out:+,}127.0.0.1:$p"; done
  printf '%s' "$out"
}

cluster_cli() {
  local port="$1"
  shift
  timeout 5 redis-cli -h 127.0.0.1 -p "$port" "$@" 2>/dev/null
}

cluster_node_proc_ok() {
  local pid
  pid="$(read_pid "$CLUSTER_DIR/$1/redis.pid")"
  pid_alive "$pid" && pid_cmd_has "$pid" "redis-server 127.0.0.1:$1"
}

# cluster_info_field PORT FIELD: one field of CLUSTER INFO on that node.
cluster_info_field() {
  cluster_cli "$1" cluster info | tr -d '\r' | sed -n "s/^$2://p"
}

# Every node runs, knows all six and says the cluster is ok (all 16384 slots served), and
# there are three masters with a replica each.
cluster_up() {
  local p
  command -v redis-cli >/dev/null || return 1
  for p in $(cluster_ports); do
    cluster_node_proc_ok "$p" || return 1
    [[ "$(cluster_info_field "$p" cluster_state)" == ok ]] || return 1
    [[ "$(cluster_info_field "$p" cluster_known_nodes)" == "$CLUSTER_SIZE" ]] || return 1
  done
  # Right after `--cluster create` a replica-to-be is briefly a master without slots.
  [[ "$(cluster_count "$CLUSTER_PORT" master)" == $((CLUSTER_SIZE / 2)) ]] &&
    [[ "$(cluster_count "$CLUSTER_PORT" slave)" == $((CLUSTER_SIZE / 2)) ]]
}

# cluster_count PORT ROLE: how many nodes that node sees in ROLE (master, slave), healthy.
cluster_count() {
  cluster_cli "$1" cluster nodes | awk -v role="$2" \
    '$3 !~ /fail/ && ("," $3 ",") ~ ("," role ",") { n++ } END { print n + 0 }'
}

cluster_masters() { cluster_count "$CLUSTER_PORT" master; }

cluster_node_start() {
  local port="$1" dir="$CLUSTER_DIR/$1"
  if cluster_node_proc_ok "$port"; then return 0; fi
  if port_open "$port" || port_open $((port + 10000)); then
    die "redis-cluster: port $port or $((port + 10000)) is in use by another process (set RISK_REDIS_CLUSTER_PORT)"
  fi
  mkdir -p "$dir"
  cat >"$dir/redis.conf" <<CONF
# Generated by scripts/services.sh on every start: edit the script, not this file.
bind 127.0.0.1
port $port
protected-mode yes
daemonize yes
pidfile "$dir/redis.pid"
logfile "$dir/redis.log"
dir "$dir"
cluster-enabled yes
# The node's identity and view of the cluster, kept across restarts so that it rejoins.
cluster-config-file nodes.conf
cluster-node-timeout 5000
# A cache for tests and dev: no persistence.
save ""
appendonly no
CONF
  redis-server "$dir/redis.conf" >>"$dir/redis.log" 2>&1 9>&- ||
    fail_with_logs "redis-cluster: redis-server on port $port failed to start" "$dir/redis.log"
}

cluster_all_ping() {
  local p
  for p in $(cluster_ports); do
    [[ "$(cluster_cli "$p" ping)" == PONG ]] || return 1
  done
}

cluster_logs() {
  local p
  for p in $(cluster_ports); do printf '%s\n' "$CLUSTER_DIR/$p/redis.log"; done
}

cluster_start() {
  local p fresh=0 args=() logs=()
  if cluster_up; then
    log "redis-cluster: already running on 127.0.0.1:$(cluster_range) ($(cluster_masters) masters)"
    return 0
  fi
  mapfile -t logs < <(cluster_logs)
  log "redis-cluster: starting $CLUSTER_SIZE nodes on 127.0.0.1:$(cluster_range)"
  for p in $(cluster_ports); do cluster_node_start "$p"; done
  wait_until 20 cluster_all_ping ||
    fail_with_logs "redis-cluster: nodes not answering PING after 20 s" "${logs[@]}"
  # Nodes restarted with their nodes.conf find each other again; the cluster is made only when
  # no node knows another (new nodes, or every nodes.conf lost).
  for p in $(cluster_ports); do
    if [[ "$(cluster_info_field "$p" cluster_known_nodes)" == 1 ]]; then fresh=$((fresh + 1)); fi
  done
  if ((fresh > 0 && fresh < CLUSTER_SIZE)); then
    # Half made (an interrupted create, a lost nodes.conf): without persistence nothing is lost
    # by making it again.
    log "redis-cluster: $fresh of $CLUSTER_SIZE nodes know no cluster; resetting all of them"
    for p in $(cluster_ports); do
      cluster_cli "$p" flushall >/dev/null || true
      cluster_cli "$p" cluster reset hard >/dev/null || true
    done
    fresh=$CLUSTER_SIZE
  fi
  if ((fresh == CLUSTER_SIZE)); then
    for p in $(cluster_ports); do args+=("127.0.0.1:$p"); done
    log "redis-cluster: creating it (3 masters, one replica each)"
    timeout 120 redis-cli --cluster create "${args[@]}" --cluster-replicas 1 --cluster-yes \
      >"$CLUSTER_DIR/create.log" 2>&1 9>&- ||
      fail_with_logs "redis-cluster: redis-cli --cluster create failed" "$CLUSTER_DIR/create.log"
  fi
  wait_until 60 cluster_up ||
    fail_with_logs "redis-cluster: cluster_state not ok on every node after 60 s" \
      "$CLUSTER_DIR/create.log" "${logs[@]}"
  log "redis-cluster: ready ($(cluster_masters) masters)"
}

cluster_stop() {
  local p pid stopped=0
  for p in $(cluster_ports); do
    pid="$(read_pid "$CLUSTER_DIR/$p/redis.pid")"
    if ! pid_alive "$pid" || ! pid_cmd_has "$pid" redis-server; then
      rm -f -- "$CLUSTER_DIR/$p/redis.pid"
      continue
    fi
    cluster_cli "$p" shutdown nosave >/dev/null || true
    if ! wait_until 10 pid_gone "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      wait_until 5 pid_gone "$pid" || die "redis-cluster: pid $pid will not exit"
    fi
    rm -f -- "$CLUSTER_DIR/$p/redis.pid"
    stopped=$((stopped + 1))
  done
  if ((stopped == 0)); then log "redis-cluster: not running"; else log "redis-cluster: stopped"; fi
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL

# postmaster.pid: line 1 the pid, line 4 the port.
pg_pid() { read_pid "$PG_DATA/postmaster.pid"; }

pg_proc_ok() {
  local pid
  pid="$(pg_pid)"
  pid_alive "$pid" && pid_cmd_has "$pid" "$PG_DATA" &&
    [[ "$(sed -n 4p "$PG_DATA/postmaster.pid" 2>/dev/null)" == "$PG_PORT" ]]
}

pg_up() {
  local bin
  bin="$(pg_bindir)"
  # -U/-d: pg_isready's probe otherwise logs "role root does not exist" on every call.
  [[ -n "$bin" ]] && pg_proc_ok &&
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -t 3
}

# After a crash (kill -9, OOM) the dead postmaster can stay a zombie for a while where PID 1
# reaps orphans lazily, and postgres refuses to start while kill(pid, 0) still succeeds on the
# pid in postmaster.pid. Give the reaper a few seconds, then drop the stale file: the process
# is dead, and postgres's own shared-memory interlock (keyed on the data dir, not this file)
# still refuses to start while any of the old backends live on.
pg_clear_stale_pidfile() {
  local pid
  pid="$(pg_pid)"
  if [[ -z "$pid" ]] || pid_alive "$pid" || pid_reaped "$pid"; then return 0; fi
  log "postgres: previous postmaster (pid $pid) died and is not reaped yet; waiting"
  if ! wait_until 10 pid_reaped "$pid"; then
    log "postgres: pid $pid is still a zombie; removing its stale postmaster.pid"
    rm -f -- "$PG_DATA/postmaster.pid"
  fi
}

pg_psql() {
  "$(pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres \
    -d postgres "$@"
}

pg_init() {
  local bin owner
  bin="$(pg_bindir)"
  owner="$(pg_owner)"
  if [[ -f "$PG_DATA/PG_VERSION" ]]; then return 0; fi
  if [[ -e "$PG_DATA" ]] && [[ -n "$(ls -A -- "$PG_DATA")" ]]; then
    die "postgres: $PG_DATA exists but is not a cluster; remove it (down, then rm -rf it)"
  fi
  mkdir -p "$PG_DIR"
  chown "$owner:" "$PG_DIR"
  chmod 0750 "$PG_DIR"
  if ! as_pg_owner test -w "$PG_DIR"; then
    die "postgres: user $owner cannot write $PG_DIR (a parent directory is not searchable by it?); set RISK_SERVICES_DIR elsewhere"
  fi
  log "postgres: initdb $PG_DATA ($("$bin/postgres" --version))"
  # Into a temporary directory and renamed when complete, so an interrupted initdb never
  # leaves a half-made cluster that later runs would take for a real one.
  rm -rf -- "$PG_DATA.tmp" "$PG_DATA"
  as_pg_owner "$bin/initdb" -D "$PG_DATA.tmp" -U postgres -E UTF8 --locale=C \
    --auth-local=trust --auth-host=trust >"$PG_DIR/initdb.log" 2>&1 ||
    fail_with_logs "postgres: initdb failed" "$PG_DIR/initdb.log"
  # Our settings live in a file of their own, rewritten on every start (pg_configure).
  printf "\ninclude_if_exists = 'risk-services.conf'\n" >>"$PG_DATA.tmp/postgresql.conf"
  mv -- "$PG_DATA.tmp" "$PG_DATA"
}

pg_configure() {
  local owner
  owner="$(pg_owner)"
  mkdir -p "$PG_RUN"
  chown "$owner:" "$PG_RUN"
  # pg_hba.conf from initdb already trusts local sockets and 127.0.0.1/::1, which is what we
  # want on a dev/CI box; the `risk` role still gets a password so a URL with one works as-is.
  cat >"$PG_DATA/risk-services.conf" <<EOF
# Generated by scripts/services.sh on every start: edit the script, not this file.
listen_addresses = '127.0.0.1'
port = $PG_PORT
# Our own socket directory: /var/run/postgresql belongs to the system cluster (and may not
# exist when apt did not start it).
unix_socket_directories = '$PG_RUN'
# Throwaway data: don't wait for the WAL flush on commit (no corruption risk, unlike fsync=off).
synchronous_commit = off
EOF
  chown "$owner:" "$PG_DATA/risk-services.conf"
}

pg_bootstrap() {
  pg_psql -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'risk') THEN
        CREATE ROLE risk LOGIN CREATEDB PASSWORD 'risk';
      END IF;
    END \$\$;" || die "postgres: could not create role risk"
  # Tests create a throwaway database each, so that LISTEN/NOTIFY channels are isolated too.
  pg_psql -qc 'ALTER ROLE risk CREATEDB' || die "postgres: could not grant CREATEDB to risk"
  if [[ "$(pg_psql -tAc "SELECT 1 FROM pg_database WHERE datname = 'risk'")" != 1 ]]; then
    log "postgres: creating database risk"
    pg_psql -c 'CREATE DATABASE risk OWNER risk' || die "postgres: could not create database risk"
  fi
}

pg_start() {
  local bin
  if pg_up; then
    log "postgres: already running (pid $(pg_pid), port $PG_PORT)"
    pg_bootstrap
    return 0
  fi
  if ! pg_proc_ok && pid_alive "$(pg_pid)" && pid_cmd_has "$(pg_pid)" "$PG_DATA"; then
    die "postgres: this state dir's cluster (pid $(pg_pid)) runs on another port; run 'down' first"
  fi
  if port_open "$PG_PORT" && ! pg_proc_ok; then
    die "postgres: port $PG_PORT is in use by another process (set RISK_PG_PORT)"
  fi
  pg_init
  bin="$(pg_bindir)"
  if ! pg_proc_ok; then
    pg_clear_stale_pidfile
    pg_configure
    log "postgres: starting on 127.0.0.1:$PG_PORT"
    # -w: pg_ctl itself waits until the server accepts connections (or fails).
    as_pg_owner "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >"$PG_DIR/pg_ctl.log" 2>&1 ||
      fail_with_logs "postgres: pg_ctl start failed" "$PG_DIR/pg_ctl.log" "$PG_LOG"
  else
    log "postgres: process running but not accepting connections yet; waiting"
  fi
  wait_until 30 pg_up ||
    fail_with_logs "postgres: not accepting connections on port $PG_PORT after 30 s" "$PG_LOG"
  pg_bootstrap
  log "postgres: ready (pid $(pg_pid))"
}

pg_stop() {
  local bin pid
  bin="$(pg_bindir)"
  pid="$(pg_pid)"
  if [[ -z "$bin" ]] || ! pid_alive "$pid" || ! pid_cmd_has "$pid" "$PG_DATA"; then
    log "postgres: not running"
    return 0
  fi
  log "postgres: stopping (pid $pid)"
  # fast: roll back open transactions and disconnect clients instead of waiting for them.
  as_pg_owner "$bin/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >"$PG_DIR/pg_ctl.log" 2>&1 ||
    fail_with_logs "postgres: pg_ctl stop failed" "$PG_DIR/pg_ctl.log" "$PG_LOG"
  log "postgres: stopped"
}

# ---------------------------------------------------------------------------------------------
# Kafka

kafka_version() {
  local jar
  for jar in "$KAFKA_LIBS"/kafka_2.13-*.jar; do
    jar="${jar##*/kafka_2.13-}"
    printf '%s' "${jar%.jar}"
  done
}

# Our broker: the pid file's process is alive and was started with our server.properties.
kafka_proc_ok() {
  local pid
  pid="$(read_pid "$KAFKA_PIDFILE")"
  pid_alive "$pid" && pid_cmd_has "$pid" "kafka.Kafka $KAFKA_PROPS"
}

# A metadata round trip through the broker listener: proves the broker is serving, not just
# that the JVM exists or the port is bound.
kafka_metadata_ok() {
  timeout 15 kcat -b "127.0.0.1:$KAFKA_PORT" -L -m 5 >/dev/null 2>&1
}

kafka_up() { command -v kcat >/dev/null && kafka_proc_ok && kafka_metadata_ok; }

# The broker's jars, copied from Maven Central (cached in ~/.m2). Redone only when the libs
# dir is missing or incomplete, or pom.xml changed: the marker holds the pom's hash and is
# written last, into a temporary directory that then replaces libs/.
kafka_libs() {
  local want
  want="$(sha256sum -- "$KAFKA_POM" | cut -d' ' -f1)"
  if [[ -f "$KAFKA_LIBS/.complete" && "$(cat -- "$KAFKA_LIBS/.complete")" == "$want" ]]; then
    return 0
  fi
  log "kafka: copying the broker's jars from Maven Central (about 45 MB on the first run, cached in ~/.m2)"
  rm -rf -- "$KAFKA_LIBS.tmp"
  (cd "$SCRIPT_DIR/kafka" && mvn -B -q -Dstyle.color=never -f "$KAFKA_POM" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS.tmp") \
    >"$KAFKA_DIR/mvn.log" 2>&1 ||
    fail_with_logs "kafka: mvn dependency:copy-dependencies failed" "$KAFKA_DIR/mvn.log"
  if ! compgen -G "$KAFKA_LIBS.tmp/kafka_2.13-*.jar" >/dev/null; then
    fail_with_logs "kafka: mvn copied no kafka_2.13 jar" "$KAFKA_DIR/mvn.log"
  fi
  printf '%s\n' "$want" >"$KAFKA_LIBS.tmp/.complete"
  rm -rf -- "$KAFKA_LIBS"
  mv -- "$KAFKA_LIBS.tmp" "$KAFKA_LIBS"
  log "kafka: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $KAFKA_LIBS"
}

kafka_write_props() {
  # Rewritten on every start so that changed ports take effect; the identity of the node
  # (cluster id, directory id) lives in data/meta.properties, not here.
  cat >"$KAFKA_PROPS" <<EOF
# Generated by scripts/services.sh on every start: edit the script, not this file.
# Single node in KRaft combined mode: it is its own (only) controller.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA
num.partitions=1
# One broker: every internal topic must make do with one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer internal partitions than the default 50: faster first consumer-group join on 2 cores.
offsets.topic.num.partitions=3
transaction.state.log.num.partitions=3
share.coordinator.state.topic.num.partitions=3
# Tests join groups constantly; the 3 s default delay would slow every one of them.
group.initial.rebalance.delay.ms=0
EOF
}

# Format the log dir once. --standalone makes this node the single voter of a dynamic
# (KIP-853) quorum, found through controller.quorum.bootstrap.servers. The cluster id is kept
# so that a re-format after a lost data dir at least keeps the same id.
kafka_format() {
  local id
  if [[ -f "$KAFKA_DATA/meta.properties" ]]; then return 0; fi
  if [[ -s "$KAFKA_DIR/cluster.id" ]]; then
    id="$(cat -- "$KAFKA_DIR/cluster.id")"
  else
    id="$("${KAFKA_JAVA[@]}" kafka.tools.StorageTool random-uuid 2>>"$KAFKA_DIR/format.log" | tail -n 1)"
    [[ "$id" =~ ^[A-Za-z0-9_-]{22}$ ]] ||
      fail_with_logs "kafka: StorageTool random-uuid printed '$id'" "$KAFKA_DIR/format.log"
    printf '%s\n' "$id" >"$KAFKA_DIR/cluster.id"
  fi
  log "kafka: formatting $KAFKA_DATA (cluster id $id)"
  "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format -t "$id" -c "$KAFKA_PROPS" --standalone \
    --ignore-formatted >>"$KAFKA_DIR/format.log" 2>&1 ||
    fail_with_logs "kafka: StorageTool format failed" "$KAFKA_DIR/format.log"
}

kafka_kill() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || true
  # A clean shutdown (controlled shutdown, then closing logs) takes a few seconds.
  if ! wait_until 60 pid_gone "$pid"; then
    log "kafka: still running 60 s after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_until 10 pid_gone "$pid" || die "kafka: pid $pid will not exit"
  fi
}

kafka_start() {
  local pid deadline
  if kafka_up; then
    log "kafka: already running (pid $(read_pid "$KAFKA_PIDFILE"), port $KAFKA_PORT, $(kafka_version))"
    return 0
  fi
  mkdir -p "$KAFKA_DIR/logs"
  # server.properties is only rewritten on start, so it says where the running broker listens.
  if kafka_proc_ok && ! grep -qF "listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT," "$KAFKA_PROPS"; then
    die "kafka: this state dir's broker (pid $(read_pid "$KAFKA_PIDFILE")) runs on another port; run 'down' first"
  fi
  if kafka_proc_ok; then
    pid="$(read_pid "$KAFKA_PIDFILE")"
    log "kafka: process $pid running but not answering yet; waiting"
  else
    local port
    for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
      if port_open "$port"; then
        die "kafka: port $port is in use by another process (set RISK_KAFKA_PORT / RISK_KAFKA_CONTROLLER_PORT)"
      fi
    done
    kafka_libs
    kafka_write_props
    kafka_format
    # Keep the previous run's output for post-mortems, start the new one empty.
    if [[ -f "$KAFKA_LOG" ]]; then mv -f -- "$KAFKA_LOG" "$KAFKA_LOG.1"; fi
    log "kafka: starting $(kafka_version) on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT)"
    # setsid + nohup: the broker must outlive this script and not get the terminal's SIGINT or
    # SIGHUP; cwd is its own dir so that JVM crash files (hs_err_pid*.log) land there. In a
    # non-interactive shell the background child is not a process-group leader, so setsid
    # execs in place and $! is the JVM's pid.
    (
      cd "$KAFKA_DIR"
      setsid nohup "${KAFKA_JAVA[@]}" kafka.Kafka "$KAFKA_PROPS" </dev/null >>"$KAFKA_LOG" 2>&1 9>&- &
      printf '%s\n' "$!" >"$KAFKA_PIDFILE"
    )
    pid="$(read_pid "$KAFKA_PIDFILE")"
  fi

  deadline=$((SECONDS + KAFKA_READY_TIMEOUT))
  until kafka_metadata_ok; do
    if pid_gone "$pid"; then
      rm -f -- "$KAFKA_PIDFILE"
      fail_with_logs "kafka: broker exited during start-up" "$KAFKA_LOG" "$KAFKA_SERVER_LOG"
    fi
    if ((SECONDS >= deadline)); then
      # Don't leave a half-started broker behind: the next `up` would find the ports taken.
      log "kafka: not answering metadata requests after $KAFKA_READY_TIMEOUT s; stopping pid $pid"
      kafka_kill "$pid"
      rm -f -- "$KAFKA_PIDFILE"
      fail_with_logs "kafka: broker did not become ready" "$KAFKA_LOG" "$KAFKA_SERVER_LOG"
    fi
    sleep 1
  done
  log "kafka: ready (pid $pid)"
}

kafka_stop() {
  local pid
  pid="$(read_pid "$KAFKA_PIDFILE")"
  if ! pid_alive "$pid" || ! pid_cmd_has "$pid" kafka.Kafka; then
    log "kafka: not running"
    rm -f -- "$KAFKA_PIDFILE"
    return 0
  fi
  log "kafka: stopping (pid $pid)"
  kafka_kill "$pid"
  rm -f -- "$KAFKA_PIDFILE"
  log "kafka: stopped"
}

# ---------------------------------------------------------------------------------------------
# commands

# One `up`/`down` at a time per state dir (two CI steps or two terminals racing would
# otherwise both see "not running" and both start). The lock lives on fd 9, and every
# long-running child is started with `9>&-`: a daemon inheriting the fd would hold the lock
# for as long as it runs, and the next `up` would wait for it in vain.
lock_state() {
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/.lock"
  flock -w 300 9 || die "another services.sh up/down holds $STATE_DIR/.lock"
}

cmd_up() {
  local t0=$SECONDS
  lock_state
  ensure_packages
  redis_start
  cluster_start
  pg_start
  kafka_start
  log "all services up in $((SECONDS - t0)) s; eval \"\$(bash scripts/services.sh env)\" to use them"
}

cmd_down() {
  lock_state
  # Reverse order of `up`; each stop is a no-op when the service is not running.
  kafka_stop
  pg_stop
  cluster_stop
  redis_stop
}

status_line() {
  local name="$1" port="$2" pid="$3" up="$4"
  if [[ "$up" == up ]]; then
    printf '%-9s up    127.0.0.1:%-6s pid %s\n' "$name" "$port" "$pid"
  else
    printf '%-9s down  127.0.0.1:%-6s -\n' "$name" "$port"
  fi
}

cmd_status() {
  local rc=0
  if redis_up; then
    status_line redis "$REDIS_PORT" "$(read_pid "$REDIS_PIDFILE")" up
  else
    status_line redis "$REDIS_PORT" - down
    rc=1
  fi
  if cluster_up; then
    printf '%-9s up    127.0.0.1:%s  %s masters\n' redis-cluster "$(cluster_range)" \
      "$(cluster_masters)"
  else
    printf '%-9s down  127.0.0.1:%s\n' redis-cluster "$(cluster_range)"
    rc=1
  fi
  if pg_up; then
    status_line postgres "$PG_PORT" "$(pg_pid)" up
  else
    status_line postgres "$PG_PORT" - down
    rc=1
  fi
  if kafka_up; then
    status_line kafka "$KAFKA_PORT" "$(read_pid "$KAFKA_PIDFILE")" up
  else
    status_line kafka "$KAFKA_PORT" - down
    rc=1
  fi
  return "$rc"
}

cmd_env() {
  cat <<EOF
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT
export REDIS_CLUSTER_NODES=$(cluster_nodes_list)
export DATABASE_URL=postgres://risk:risk@127.0.0.1:$PG_PORT/risk
export KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
EOF
}

# cmd_one start|stop SERVICE: one service, under the same lock as up/down.
cmd_one() {
  local action="$1" service="$2"
  case "$service" in
    redis | redis-cluster | postgres | kafka) ;;
    *) usage ;;
  esac
  lock_state
  case "$action:$service" in
    start:redis) redis_start ;;
    start:redis-cluster) cluster_start ;;
    start:postgres) pg_start ;;
    start:kafka) kafka_start ;;
    stop:redis) redis_stop ;;
    stop:redis-cluster) cluster_stop ;;
    stop:postgres) pg_stop ;;
    stop:kafka) kafka_stop ;;
  esac
}

usage() {
  echo "usage: bash scripts/services.sh up|down|status|env" >&2
  echo "       bash scripts/services.sh start|stop redis|redis-cluster|postgres|kafka" >&2
  exit 2
}

main() {
  if (($# == 2)) && [[ "$1" == start || "$1" == stop ]]; then
    cmd_one "$1" "$2"
    return
  fi
  if (($# != 1)); then usage; fi
  case "$1" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) cmd_env ;;
    *) usage ;;
  esac
}

main "$@"
