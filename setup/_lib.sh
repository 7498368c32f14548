# shellcheck shell=bash
# Shared helpers for setup/install, setup/test, setup/run and setup/bench.
# Sourced, never executed. Everything here is idempotent.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ETSY_HOME="${ETSY_CONNECTOR_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/etsy_connector}"
VENV="${ETSY_CONNECTOR_VENV:-$ETSY_HOME/venv}"
PY="$VENV/bin/python"
PG_CLUSTER_VERSION="${PG_CLUSTER_VERSION:-15}"

say() { printf '[etsy_connector] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

is_odoo18_tree() {
  [ -n "${1:-}" ] && [ -f "$1/odoo/release.py" ] && [ -f "$1/odoo-bin" ] &&
    grep -q "version_info = (18" "$1/odoo/release.py"
}

# Odoo 18 is looked for in ODOO_SRC, then an importable `odoo`, then /opt/odoo18.
# Prints the source root (the folder holding odoo-bin) or nothing.
find_odoo_src() {
  if [ -n "${ODOO_SRC:-}" ]; then
    is_odoo18_tree "$ODOO_SRC" && { echo "$ODOO_SRC"; return 0; }
    say "ODOO_SRC=$ODOO_SRC is not an Odoo 18 source tree (no odoo-bin or release.py says another version)"
  fi
  local py root
  for py in "$PY" python3; do
    command -v "$py" >/dev/null 2>&1 || continue
    root=$("$py" - <<'PYEOF' 2>/dev/null || true
import os, odoo
if odoo.release.version_info[0] == 18:
    print(os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__))))
PYEOF
)
    is_odoo18_tree "$root" && { echo "$root"; return 0; }
  done
  is_odoo18_tree /opt/odoo18 && { echo /opt/odoo18; return 0; }
  return 0
}

pg_running() { pg_lsclusters -h 2>/dev/null | awk -v v="$PG_CLUSTER_VERSION" '$1==v && $2=="main" {print $4}' | grep -q online; }

# Starts the local PostgreSQL cluster (unless ETSY_SKIP_LOCAL_POSTGRES=1 says an external one is used) and makes sure the OS user has a superuser role
# (Odoo connects over the Unix socket with peer authentication).
ensure_postgres() {
  if [ "${ETSY_SKIP_LOCAL_POSTGRES:-0}" = 1 ]; then
    # An external server (PGHOST/PGUSER/PGPASSWORD), e.g. a CI service container.
    psql -d postgres -tAc "select 1" >/dev/null || die "cannot reach the PostgreSQL server given by PGHOST/PGUSER"
    return 0
  fi
  if ! command -v pg_lsclusters >/dev/null 2>&1; then
    die "PostgreSQL is not installed. Run ./setup/install (it installs postgresql-$PG_CLUSTER_VERSION on Debian)."
  fi
  if ! pg_running; then
    say "starting PostgreSQL $PG_CLUSTER_VERSION"
    pg_ctlcluster "$PG_CLUSTER_VERSION" main start >&2 || die "could not start PostgreSQL (pg_ctlcluster $PG_CLUSTER_VERSION main start)"
  fi
  local me; me=$(id -un)
  if ! psql -d postgres -tAc "select 1" >/dev/null 2>&1; then
    say "creating PostgreSQL superuser role '$me'"
    if [ "$(id -u)" = 0 ]; then
      su postgres -c "psql -tAc \"DO \\\$\\\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='$me') THEN CREATE ROLE \\\"$me\\\" SUPERUSER LOGIN; END IF; END\\\$\\\$\"" >&2
    else
      sudo -u postgres psql -tAc "CREATE ROLE \"$me\" SUPERUSER LOGIN" >&2 || die "create a PostgreSQL superuser role for '$me'"
    fi
  fi
}

odoo_addons_path() { echo "$1/addons,$1/odoo/addons,$REPO_ROOT"; }

# A database with sale_management + stock installed, kept between runs (keyed by the Odoo tree),
# so each run installs only etsy_connector into a fresh copy of it.
template_db() {
  local odoo_src="$1" key name
  key=$(printf '%s' "$odoo_src $(cat "$odoo_src/odoo/release.py")" | sha256sum | cut -c1-10)
  name="etsy_connector_base_$key"
  if ! psql -d postgres -tAc "select 1 from pg_database where datname='$name'" | grep -q 1; then
    say "creating template database $name (sale_management, stock; once per Odoo tree)"
    dropdb --if-exists "$name.tmp"
    "$PY" "$odoo_src/odoo-bin" -d "$name.tmp" --addons-path="$(odoo_addons_path "$odoo_src")" \
      -i sale_management,stock --without-demo=all --stop-after-init --http-port="$(free_port)" \
      --log-level=warn >"${TMPDIR:-/tmp}/etsy_connector_template.log" 2>&1 ||
      { cat "${TMPDIR:-/tmp}/etsy_connector_template.log"; die "template database failed"; }
    psql -d postgres -qc "ALTER DATABASE \"$name.tmp\" RENAME TO \"$name\""
  fi
  echo "$name"
}

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The given port when it is free on 127.0.0.1, else any free one.
preferred_port() {
  "$PY" - "$1" <<'PYEOF'
import socket, sys
s = socket.socket()
# As Odoo binds: a port whose last connections are closing (TIME_WAIT) is free.
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PYEOF
}
