# shellcheck shell=bash
# A private PostgreSQL and Redis on 127.0.0.1, from Debian's packages (postgresql-15, redis-server),
# with no systemd. Sourced (not run) by .ci/run (a throwaway pair in a temporary directory) and
# scripts/run-national (a pair kept under instance/national between runs).
#
#   source scripts/services.sh
#   services_pg_start DIR FIRST_PORT [--throwaway]   # initdb DIR/data on first use, then start it
#   services_pg_database DIR ROLE DATABASE            # the role (its password kept in DIR) and database,
#                                                     # with pg_trgm and fuzzystrmatch; sets SERVICES_DATABASE_URL
#   services_redis_start DIR FIRST_PORT               # no persistence; sets SERVICES_REDIS_PORT
#   services_stop                                     # stops whatever the two *_start functions started
#
# Each service takes the first free port from FIRST_PORT (50 tried) and sets SERVICES_PG_PORT /
# SERVICES_REDIS_PORT. Errors go through services_fail, which the caller may redefine (.ci/run
# does, to print "CI FAILED"). As root, initdb and postgres run as the postgres user (they refuse
# root), so DIR is handed to that user; otherwise the socket (in DIR, mode 0700) is trusted.

SERVICES_PG_VERSION="${SERVICES_PG_VERSION:-15}"
SERVICES_PG_BIN="/usr/lib/postgresql/${SERVICES_PG_VERSION}/bin"
SERVICES_REDIS_SERVER=/usr/bin/redis-server
SERVICES_REDIS_CLI=/usr/bin/redis-cli

SERVICES_PG_DIR=""      # set once PostgreSQL was started by us: services_stop stops it
SERVICES_PG_PORT=""
SERVICES_PG_STOP_MODE=fast
SERVICES_REDIS_PORT=""  # set once Redis was started by us
SERVICES_DATABASE_URL=""

services_fail() { printf '\nERROR: %s\n' "$*" >&2; exit 1; }

services_port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints the first free port from $1 (tries 50).
services_free_port() {
    local port=$1
    while services_port_in_use "$port"; do
        port=$((port + 1))
        ((port < $1 + 50)) || services_fail "no free port in $1-$(($1 + 49))"
    done
    echo "$port"
}

services_random_secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# Runs a PostgreSQL program as the user that owns the cluster.
if [[ $(id -u) -eq 0 ]]; then
    # From /: the postgres user may not be allowed into the caller's directory.
    services_as_pg() { (cd / && runuser -u postgres -- "$@"); }
else
    services_as_pg() { "$@"; }
fi

# services_pg_start DIR FIRST_PORT [--throwaway]
# DIR holds data/ (the cluster), postgres.log and the socket. The first time, initdb makes the
# cluster (superuser "postgres", scram-sha-256 over TCP, UTF-8). --throwaway turns off fsync and
# stops with -m immediate: only for data nobody keeps.
services_pg_start() {
    local dir=$1 first_port=$2 options=""
    [[ -x "$SERVICES_PG_BIN/initdb" && -x "$SERVICES_PG_BIN/pg_ctl" ]] \
        || services_fail "PostgreSQL ${SERVICES_PG_VERSION} is not installed ($SERVICES_PG_BIN): apt-get install postgresql"
    if [[ ${3:-} == --throwaway ]]; then
        options="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        SERVICES_PG_STOP_MODE=immediate
    fi
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$dir"; fi
    chmod 700 "$dir"
    services_as_pg test -w "$dir" \
        || services_fail "the postgres user cannot reach $dir: every directory above it must be searchable (chmod o+x)"
    if [[ ! -s "$dir/data/PG_VERSION" ]]; then
        local pwfile="$dir/superuser-password"
        services_random_secret >"$pwfile"
        if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$pwfile"; fi
        chmod 600 "$pwfile"
        services_as_pg "$SERVICES_PG_BIN/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
            --auth-local=peer --auth-host=scram-sha-256 --pwfile="$pwfile" >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; rm -rf "${dir:?}/data"; services_fail "initdb failed"; }
        rm -f "$pwfile"
        if [[ $(id -u) -ne 0 ]]; then
            # Peer authentication maps OS user to role: without root we are not "postgres", so trust
            # the socket instead (it lives in the private 0700 directory).
            sed -i 's/^local\(\s\+\)all\(\s\+\)all\(\s\+\)peer/local\1all\2all\3trust/' "$dir/data/pg_hba.conf"
        fi
    fi
    if services_as_pg "$SERVICES_PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        # Left running by an earlier run that was killed (kept data only): stop it, then start afresh.
        echo "PostgreSQL in $dir/data is still running from an earlier run: stopping it"
        services_as_pg "$SERVICES_PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    SERVICES_PG_PORT="$(services_free_port "$first_port")"
    SERVICES_PG_DIR=$dir
    # shellcheck disable=SC2086 # $options is a list of words
    services_as_pg "$SERVICES_PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $SERVICES_PG_PORT -k $dir $options" start >/dev/null \
        || { tail -n 30 "$dir/postgres.log" >&2; SERVICES_PG_DIR=""; services_fail "PostgreSQL did not start"; }
}

services_psql_admin() {
    services_as_pg "$SERVICES_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SERVICES_PG_DIR" \
        -p "$SERVICES_PG_PORT" -U postgres "$@"
}

# services_pg_database DIR ROLE DATABASE: the role and its database (made once; the role's password
# is kept in DIR/ROLE.password, readable by its owner only), with the extensions the app uses.
# Sets SERVICES_DATABASE_URL (postgresql+psycopg://ROLE:PASSWORD@127.0.0.1:PORT/DATABASE) and
# checks it over TCP with the password.
services_pg_database() {
    local dir=$1 role=$2 database=$3 password
    local password_file="$dir/$role.password"
    if [[ -s $password_file ]]; then
        password="$(cat "$password_file")"
    else
        password="$(services_random_secret)"
        (umask 077 && printf '%s\n' "$password" >"$password_file")
    fi
    # ALTER ROLE: the password in the file wins, even for a role made by an earlier run.
    services_psql_admin -d postgres <<SQL
SELECT format('CREATE ROLE %I LOGIN', '$role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role')
\gexec
ALTER ROLE "$role" PASSWORD '$password';
SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8'' TEMPLATE template0', '$database', '$role')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$database')
\gexec
SQL
    services_psql_admin -d "$database" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
SQL
    SERVICES_DATABASE_URL="postgresql+psycopg://${role}:${password}@127.0.0.1:${SERVICES_PG_PORT}/${database}"
    PGPASSWORD="$password" "$SERVICES_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 \
        -p "$SERVICES_PG_PORT" -U "$role" -d "$database" -tA -c "SELECT 'connected as ' || current_user || ', extensions: ' || string_agg(extname, ', ' ORDER BY extname) FROM pg_extension WHERE extname IN ('pg_trgm', 'fuzzystrmatch')" \
        || services_fail "cannot connect to PostgreSQL on 127.0.0.1:$SERVICES_PG_PORT as $role"
}

# services_redis_start DIR FIRST_PORT: a redis-server on 127.0.0.1, nothing saved to disk (the
# register needs no persistence in Redis), its log in DIR/redis.log.
services_redis_start() {
    local dir=$1 first_port=$2 port stale
    [[ -x $SERVICES_REDIS_SERVER && -x $SERVICES_REDIS_CLI ]] \
        || services_fail "redis-server is not installed: apt-get install redis-server"
    mkdir -p "$dir"
    stale="$(cat "$dir/redis.pid" 2>/dev/null || true)"
    if [[ $stale =~ ^[0-9]+$ ]] && grep -q redis-server "/proc/$stale/cmdline" 2>/dev/null; then
        # Left running by an earlier run that was killed: it keeps nothing, so stop it.
        echo "Redis from an earlier run is still running: stopping it"
        kill "$stale" 2>/dev/null || true
        for _ in $(seq 50); do [[ -e /proc/$stale ]] || break; sleep 0.1; done
    fi
    port="$(services_free_port "$first_port")"
    "$SERVICES_REDIS_SERVER" --port "$port" --bind 127.0.0.1 --protected-mode yes --daemonize yes \
        --save "" --appendonly no --dir "$dir" --logfile "$dir/redis.log" --pidfile "$dir/redis.pid" \
        || services_fail "redis-server did not start"
    SERVICES_REDIS_PORT=$port
    for _ in $(seq 50); do
        "$SERVICES_REDIS_CLI" -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG && return 0
        sleep 0.1
    done
    tail -n 30 "$dir/redis.log" >&2
    services_fail "Redis does not answer on 127.0.0.1:$port"
}

# Stops what was started here (Redis first: nothing to keep; then PostgreSQL). Safe to call twice.
services_stop() {
    if [[ -n $SERVICES_REDIS_PORT ]]; then
        echo "Stopping Redis (127.0.0.1:$SERVICES_REDIS_PORT)"
        "$SERVICES_REDIS_CLI" -h 127.0.0.1 -p "$SERVICES_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
        SERVICES_REDIS_PORT=""
    fi
    if [[ -n $SERVICES_PG_DIR ]]; then
        echo "Stopping PostgreSQL (127.0.0.1:$SERVICES_PG_PORT)"
        services_as_pg "$SERVICES_PG_BIN/pg_ctl" -D "$SERVICES_PG_DIR/data" -m "$SERVICES_PG_STOP_MODE" -w stop \
            >/dev/null 2>&1 || true
        SERVICES_PG_DIR=""
    fi
}
