# shellcheck shell=bash
# A PostgreSQL server for the tests of crates/store-postgres.
#
#   source scripts/pg-test-env.sh        # exports CXMAP_TEST_PG (an admin URL)
#   cargo test -p cxmap-store-postgres
#   cxmap_pg_stop                        # also runs on shell exit if a throwaway was started
#
# or, in one go (starts, runs the command, stops, returns the command's status):
#
#   scripts/pg-test-env.sh cargo test -p cxmap-store-postgres
#
# If a server answers at $CXMAP_TEST_PG (default postgres://postgres@127.0.0.1:5432/postgres),
# that one is used. Otherwise, or with CXMAP_PG_THROWAWAY=1, a throwaway server is started:
# Debian's binaries (/usr/lib/postgresql/*/bin; the `postgresql` package is installed with
# apt-get if none are there), initdb into a temporary directory as a non-root user (`cxmap-pg`,
# created when running as root), trust authentication, fsync off, listening on 127.0.0.1 only,
# on the first free port from $CXMAP_PG_PORT (default 55432). cxmap_pg_stop stops it and deletes
# the directory. Set CXMAP_PG_NO_TRAP=1 to keep this script from adding to the EXIT trap.

cxmap_pg__log() { printf 'pg-test-env: %s\n' "$*" >&2; }

# True when a server accepts connections (and, with psql at hand, our credentials) at $1.
cxmap_pg__answers() {
    local url=$1
    if command -v psql >/dev/null 2>&1; then
        PGCONNECT_TIMEOUT=3 psql "$url" -Atqc 'SELECT 1' >/dev/null 2>&1
    elif command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -t 3 -d "$url" >/dev/null 2>&1
    else
        return 1
    fi
}

# The newest Debian PostgreSQL bin directory, installing the server if there is none.
cxmap_pg__bindir() {
    local dir
    dir=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null \
        | sort -V | tail -n 1)
    if [[ -z $dir ]]; then
        if [[ $(id -u) -ne 0 ]]; then
            cxmap_pg__log "no PostgreSQL binaries in /usr/lib/postgresql and not root to install them"
            return 1
        fi
        cxmap_pg__log "installing the postgresql package"
        export DEBIAN_FRONTEND=noninteractive
        { apt-get install -y -q postgresql >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q postgresql >/dev/null; }; } \
            || { cxmap_pg__log "apt-get install postgresql failed"; return 1; }
        dir=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null \
            | sort -V | tail -n 1)
        [[ -n $dir ]] || { cxmap_pg__log "postgresql installed but no initdb found"; return 1; }
    fi
    dirname "$dir"
}

# Runs a command as the server's owner (initdb and postgres refuse to run as root).
cxmap_pg__as_owner() {
    if [[ -n ${CXMAP_PG_OWNER:-} ]]; then
        runuser -u "$CXMAP_PG_OWNER" -- "$@"
    else
        "$@"
    fi
}

# True when something listens on 127.0.0.1:$1.
cxmap_pg__port_taken() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

cxmap_pg__start_throwaway() {
    local bindir dir port tries
    bindir=$(cxmap_pg__bindir) || return 1

    unset CXMAP_PG_PORT_USED
    CXMAP_PG_OWNER=
    if [[ $(id -u) -eq 0 ]]; then
        CXMAP_PG_OWNER=cxmap-pg
        if ! id -u "$CXMAP_PG_OWNER" >/dev/null 2>&1; then
            useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
                "$CXMAP_PG_OWNER" 2>/dev/null || CXMAP_PG_OWNER=nobody
        fi
    fi

    dir=$(mktemp -d "${TMPDIR:-/tmp}/cxmap-pg.XXXXXX") || return 1
    [[ -n $CXMAP_PG_OWNER ]] && chown "$CXMAP_PG_OWNER" "$dir"
    CXMAP_PG_DIR=$dir
    CXMAP_PG_BINDIR=$bindir

    if ! cxmap_pg__as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
        cxmap_pg__log "initdb failed:"; cat "$dir/initdb.log" >&2
        cxmap_pg_stop
        return 1
    fi

    port=${CXMAP_PG_PORT:-55432}
    for tries in $(seq 1 50); do
        if ! cxmap_pg__port_taken "$port"; then
            if cxmap_pg__as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
                -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir \
                    -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
                    -c max_connections=300" \
                start >/dev/null 2>&1; then
                CXMAP_PG_PORT_USED=$port
                break
            fi
            # Lost a race for the port, or the server failed; the log says which.
            tail -n 5 "$dir/server.log" >&2 2>/dev/null
        fi
        port=$((port + 1))
    done
    if [[ -z ${CXMAP_PG_PORT_USED:-} ]]; then
        cxmap_pg__log "could not start a throwaway server (tried $tries ports)"
        cxmap_pg_stop
        return 1
    fi

    export CXMAP_TEST_PG="postgres://postgres@127.0.0.1:$CXMAP_PG_PORT_USED/postgres"
    if ! cxmap_pg__answers "$CXMAP_TEST_PG" && ! cxmap_pg__port_taken "$CXMAP_PG_PORT_USED"; then
        cxmap_pg__log "throwaway server started but does not answer"
        cxmap_pg_stop
        return 1
    fi
    cxmap_pg__log "throwaway PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') at $CXMAP_TEST_PG (data in $dir)"

    if [[ -z ${CXMAP_PG_NO_TRAP:-} ]]; then
        # Run cxmap_pg_stop on exit, before whatever EXIT trap the caller already had.
        local existing
        existing=$(trap -p EXIT)
        if [[ -n $existing ]]; then
            eval "set -- $existing"
            # shellcheck disable=SC2064 # expand the caller's command now
            trap "cxmap_pg_stop; $3" EXIT
        else
            trap cxmap_pg_stop EXIT
        fi
    fi
}

# Stops the throwaway server started by this script and deletes its files; does nothing when
# the tests used an existing server. Safe to call twice.
cxmap_pg_stop() {
    if [[ -n ${CXMAP_PG_DIR:-} && -d ${CXMAP_PG_DIR} ]]; then
        if [[ -f $CXMAP_PG_DIR/data/postmaster.pid ]]; then
            cxmap_pg__as_owner "$CXMAP_PG_BINDIR/pg_ctl" -D "$CXMAP_PG_DIR/data" -m immediate -w \
                stop >/dev/null 2>&1 || cxmap_pg__log "pg_ctl stop failed"
        fi
        rm -rf -- "$CXMAP_PG_DIR"
        cxmap_pg__log "throwaway PostgreSQL stopped"
    fi
    unset CXMAP_PG_DIR CXMAP_PG_BINDIR CXMAP_PG_PORT_USED
}

cxmap_pg_env() {
    : "${CXMAP_TEST_PG:=postgres://postgres@127.0.0.1:5432/postgres}"
    if [[ ${CXMAP_PG_THROWAWAY:-0} != 1 ]] && cxmap_pg__answers "$CXMAP_TEST_PG"; then
        export CXMAP_TEST_PG
        cxmap_pg__log "using the PostgreSQL at $CXMAP_TEST_PG"
        return 0
    fi
    [[ ${CXMAP_PG_THROWAWAY:-0} == 1 ]] || cxmap_pg__log "no PostgreSQL answers at $CXMAP_TEST_PG"
    unset CXMAP_TEST_PG
    cxmap_pg__start_throwaway
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    # Executed, not sourced: run the given command against the server, then stop it.
    if [[ $# -eq 0 ]]; then
        echo "usage: source ${0} | ${0} COMMAND [ARG...]" >&2
        exit 2
    fi
    CXMAP_PG_NO_TRAP=1
    cxmap_pg_env || exit 1
    trap cxmap_pg_stop EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    "$@"
    exit $?
else
    cxmap_pg_env
fi
