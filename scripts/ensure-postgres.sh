# Sourced by `make test`: make sure a PostgreSQL server is reachable for the test suite and export
# ECOSENTINEL_TEST_DATABASE_URL. Uses an existing URL if one is set; otherwise starts the local
# Debian cluster (installed by .ci/run, or by hand: apt-get install postgresql) on loopback.
if [ -z "${ECOSENTINEL_TEST_DATABASE_URL:-}" ]; then
    if ! command -v pg_lsclusters >/dev/null 2>&1; then
        echo "PostgreSQL is not installed: run 'apt-get install postgresql' (the tests use a real server)" >&2
        return 1 2>/dev/null || exit 1
    fi
    cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1" "$2}')
    if [ -z "$cluster" ]; then
        pg_createcluster "$(ls /usr/lib/postgresql | sort -n | tail -1)" main >/dev/null
        cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1" "$2}')
    fi
    port=$(pg_lsclusters --no-header | awk 'NR==1 {print $3}')
    pg_lsclusters --no-header | awk 'NR==1 {print $4}' | grep -q online || pg_ctlcluster $cluster start
    runuser -u postgres -- psql -q -p "$port" -tc "SELECT 1 FROM pg_roles WHERE rolname='ecosentinel'" | grep -q 1 \
        || runuser -u postgres -- psql -q -p "$port" -c "CREATE ROLE ecosentinel LOGIN SUPERUSER PASSWORD 'ecosentinel-test'"
    runuser -u postgres -- psql -q -p "$port" -tc "SELECT 1 FROM pg_database WHERE datname='ecosentinel_test'" | grep -q 1 \
        || runuser -u postgres -- psql -q -p "$port" -c "CREATE DATABASE ecosentinel_test OWNER ecosentinel"
    export ECOSENTINEL_TEST_DATABASE_URL="postgresql+psycopg://ecosentinel:ecosentinel-test@127.0.0.1:$port/ecosentinel_test"
fi
