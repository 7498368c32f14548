"""The soak's fault schedule: Etsy faults at random, a Discord outage, one revoked token, and
SIGKILLed Odoo workers (setup/soak.py)."""

import os
import random
import signal
import threading
import time

from soak_checks import connection

from etsy_sandbox.constants import ERR_PER_DAY

READS = ("getShopReceipts", "getShopReceipt", "getListingsByShop",
         "getListingsInventoryByListingIds", "getListingInventory")
WRITES = ("updateListingInventory", "createReceiptShipment")
HANG = 5  # seconds, longer than the soak's etsy_connector.http_timeout (3 s)
FAULT_EVERY = 4.0  # seconds between two injected Etsy faults (on average)


def _fault(rng, kind):
    """(operation, inject_fault arguments) of one fault of `kind`."""
    if kind == "429 per second":
        return rng.choice(READS + WRITES), {"status": 429}
    if kind == "429 daily":
        return rng.choice(READS), {"status": 429, "body": {"error": ERR_PER_DAY}}
    if kind == "5xx":
        return rng.choice(READS + WRITES), {"status": rng.choice((500, 502, 503, 504))}
    if kind == "timeout":
        return rng.choice(READS + WRITES), {"hang": HANG}
    if kind == "malformed JSON":
        return rng.choice(READS), {"malformed": True}
    # The change is made, the answer is lost.
    return rng.choice(WRITES), {"status": rng.choice((502, 504)), "process": True}


KINDS = ("429 per second", "429 daily", "5xx", "timeout", "malformed JSON", "lost answer")


class FaultPlan:
    """Runs for `seconds`: a fault every few seconds (every kind early on, then at random), a
    Discord outage at 20 % (and 60 % on runs of 5 minutes or more), the token of one shop
    revoked at 40 % (then the shop is reconnected once Odoo noticed), workers killed by
    `WorkerKiller` at 30 % and 70 % (and every 3 minutes on longer runs)."""

    def __init__(self, soak, seconds):
        self.soak, self.seconds = soak, seconds
        self.rng = random.Random(soak.args.seed + 3)
        self.injected = {}
        self.outages, self.outage_seconds = 0, 0.0
        self.revocations, self.revoke_note = 0, "-"
        self._down_since = None
        self._threads = []

    def run(self, killer):
        sandbox, start = self.soak.sandbox, time.monotonic()
        queue = list(KINDS)
        self.rng.shuffle(queue)
        events = {0.2: self.outage_on, 0.4: self.revoke}
        kills = [0.3, 0.7] + [f for f in (x / self.seconds for x in range(360, 10**6, 180))
                              if f < 0.9]
        if self.seconds >= 300:
            events[0.6] = self.outage_on
        for fraction in kills:
            events.setdefault(fraction, killer.kill_during_sync)
        done = set()
        while (elapsed := time.monotonic() - start) < self.seconds:
            for fraction, action in sorted(events.items()):
                if fraction not in done and elapsed >= fraction * self.seconds:
                    done.add(fraction)
                    # Kills and the revocation wait for Odoo: they must not hold the faults up.
                    thread = threading.Thread(target=action, daemon=True)
                    thread.start()
                    self._threads.append(thread)
            if self._down_since and time.monotonic() - self._down_since > 20:
                self.outage_off()
            kind = queue.pop() if queue else self.rng.choice(KINDS)
            operation, behaviour = _fault(self.rng, kind)
            sandbox.do("inject_fault", operation=operation, label=kind, **behaviour)
            self.injected[kind] = self.injected.get(kind, 0) + 1
            time.sleep(min(self.rng.uniform(0.5, 1.5) * FAULT_EVERY,
                           max(0.0, self.seconds - (time.monotonic() - start))))

    def all_off(self):
        for thread in self._threads:
            thread.join(180)
        self.soak.sandbox.do("clear_faults")
        self.outage_off()

    def outage_on(self):
        self.soak.sandbox.do("discord/outage", down=True, status=503)
        self.outages += 1
        self._down_since = time.monotonic()

    def outage_off(self):
        if self._down_since:
            self.soak.sandbox.do("discord/outage", down=False)
            self.outage_seconds += time.monotonic() - self._down_since
            self._down_since = None

    def revoke(self):
        """Revoke one seller's tokens; wait (bounded) until Odoo says the shop is in error, then
        reconnect it through the OAuth flow."""
        soak = self.soak
        shop = soak.shops[-1]
        soak.sandbox.do("revoke_tokens", user_id=shop["user_id"])
        self.revocations += 1
        rpc, started = soak_odoo(soak), time.monotonic()
        while time.monotonic() - started < 150:
            [state] = rpc.call("etsy.shop", "read", [shop["odoo_id"]], ["state"])
            if state["state"] == "error":
                break
            time.sleep(2)
        noticed = time.monotonic() - started
        soak.connect(rpc, shop)
        self.revoke_note = (f"{shop['name']}: Odoo in error after {noticed:.0f} s, reconnected"
                            if noticed < 150 else f"{shop['name']}: not noticed in 150 s, "
                            "reconnected anyway")


def soak_odoo(soak):
    import demo_connect

    return demo_connect.Odoo(soak.args.odoo, soak.args.db)


class WorkerKiller:
    """SIGKILLs an Odoo worker (a child of the master) while it runs an Etsy sync."""

    def __init__(self, args):
        self.args = args
        self.kills = []
        self.stale = set()

    def children(self):
        found = set()
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                if ppid == self.args.master_pid:
                    found.add(int(entry))
        return found

    def cron_worker(self):
        """The cron worker: the master's child that lowered its priority (Odoo's WorkerCron
        runs niced; the HTTP workers do not). Database sessions cannot tell: they are opened
        with the master's pid as application_name."""
        for pid in sorted(self.children()):
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    nice = int(stat.read().rsplit(")", 1)[1].split()[16])
            except (OSError, ValueError, IndexError):
                continue
            if nice > 0:
                return pid
        return None

    def busy_worker(self):
        """(pid, what) of the cron worker while a scheduled sync runs, else None."""
        with connection(self.args.db) as cr:
            # Logs left running by an earlier kill are not a sync in progress.
            cr.execute("SELECT id, operation FROM etsy_sync_log WHERE state = 'running' "
                       "AND trigger = 'cron' AND NOT id = ANY(%s) ORDER BY id DESC LIMIT 1",
                       [sorted(self.stale) or [0]])
            running = cr.fetchone()
        pid = running and self.cron_worker()
        if not pid:
            return None
        self.stale.add(running[0])
        return pid, running[1]

    def kill_during_sync(self, wait=90):
        """Wait (at most `wait` s) for a worker busy with a sync, then SIGKILL it."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            found = self.busy_worker()
            if found:
                os.kill(found[0], signal.SIGKILL)
                self.kills.append({"pid": found[0], "what": found[1], "during_sync": True})
                return
            time.sleep(0.3)
        pid = self.cron_worker()
        if pid:
            os.kill(pid, signal.SIGKILL)
            self.kills.append({"pid": pid, "what": "no sync seen", "during_sync": False})
