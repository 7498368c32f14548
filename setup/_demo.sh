# shellcheck shell=bash
# The demo's parts, shared by setup/run and setup/screenshots. Sourced after _lib.sh, never
# executed: start_demo starts the sandbox and Odoo on a database with the addon and connects the
# demo shop; stop_demo stops what it started (the caller traps it).

DEMO_PIDS=()
DEMO_ODOO_PID=""

wait_for_url() {  # url, what, seconds, log folder
  local i
  for i in $(seq 1 "$3"); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 1
  done
  die "$2 did not answer on $1 within $3 s (logs: $4)"
}

# start_demo DB ODOO_PORT SANDBOX_PORT LOG_DIR [fresh]
# Starts the Etsy sandbox (--auto-approve) and Odoo on 127.0.0.1, on DB (created with the addon,
# or upgraded; "fresh" drops it first), connects the demo shop through the real OAuth flow, imports
# its listings and starts its order import (setup/demo_connect.py). Returns once that is done;
# Odoo keeps serving (DEMO_ODOO_PID) until stop_demo.
start_demo() {
  local db="$1" odoo_port="$2" sandbox_port="$3" log_dir="$4" fresh="${5:-}" odoo
  mkdir -p "$log_dir"
  odoo=$(find_odoo_src)
  [ -n "$odoo" ] || die "no Odoo 18 found (ODOO_SRC, importable odoo, /opt/odoo18): see README, 'Getting Odoo 18'"
  ensure_postgres

  say "starting the Etsy sandbox on 127.0.0.1:$sandbox_port"
  (cd "$REPO_ROOT" && exec "$PY" -m etsy_sandbox --host 127.0.0.1 --port "$sandbox_port" \
    --auto-approve) >"$log_dir/sandbox.log" 2>&1 &
  DEMO_PIDS+=($!)
  wait_for_url "http://127.0.0.1:$sandbox_port/_sandbox/state" "the sandbox" 20 "$log_dir"

  local odoo_args=(-d "$db" --db-filter="^$db\$" --addons-path="$(odoo_addons_path "$odoo")"
    --http-interface=127.0.0.1 --http-port="$odoo_port" --max-cron-threads=1)
  # PGOPTIONS: no notice when there is nothing to drop.
  [ "$fresh" = fresh ] && PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists --force "$db"
  if ! psql -d postgres -tAc "select 1 from pg_database where datname='$db'" | grep -q 1; then
    say "creating database $db with etsy_connector"
    createdb -T "$(template_db "$odoo")" "$db"
    "$PY" "$odoo/odoo-bin" "${odoo_args[@]}" -i etsy_connector --stop-after-init \
      >"$log_dir/install.log" 2>&1 || die "installing etsy_connector failed (log: $log_dir/install.log)"
    psql -d "$db" -qc "INSERT INTO ir_config_parameter (key, value, create_date, write_date)
      VALUES ('web.base.url', 'http://127.0.0.1:$odoo_port', now(), now()),
             ('web.base.url.freeze', 'True', now(), now())
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
  else
    say "upgrading etsy_connector in $db"
    "$PY" "$odoo/odoo-bin" "${odoo_args[@]}" -u etsy_connector --stop-after-init \
      >"$log_dir/upgrade.log" 2>&1 || die "upgrading etsy_connector failed (log: $log_dir/upgrade.log)"
  fi

  say "starting Odoo on http://127.0.0.1:$odoo_port (log: $log_dir/odoo.log)"
  "$PY" "$odoo/odoo-bin" "${odoo_args[@]}" >"$log_dir/odoo.log" 2>&1 &
  DEMO_ODOO_PID=$!
  DEMO_PIDS+=("$DEMO_ODOO_PID")
  wait_for_url "http://127.0.0.1:$odoo_port/web/login" "Odoo" 90 "$log_dir"

  "$PY" "$REPO_ROOT/setup/demo_connect.py" "http://127.0.0.1:$odoo_port" "$db" \
    "http://127.0.0.1:$sandbox_port" || die "connecting the demo shop failed (logs: $log_dir)"
}

demo_running() {
  local pid
  for pid in "${DEMO_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}

# Stops what start_demo started: SIGTERM (Odoo shuts down cleanly), SIGKILL after 20 s.
stop_demo() {
  local waited=0
  [ ${#DEMO_PIDS[@]} -gt 0 ] || return 0
  kill "${DEMO_PIDS[@]}" 2>/dev/null || true
  while demo_running && [ "$waited" -lt 20 ]; do sleep 1; waited=$((waited + 1)); done
  kill -9 "${DEMO_PIDS[@]}" 2>/dev/null || true
  DEMO_PIDS=()
}
