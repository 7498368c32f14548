"""The run frame: every flow of every shop runs through it. The only code that commits.

A flow is a service class (`EtsyFlow`) holding its run context: the shop, the client, the sync
log, its own sync state row and a cache. `run_flow(shop, Flow, trigger)` gives it:

- a cursor of its own, so batches commit without touching the caller's transaction (a button's
  request, a cron job, a test: under tests the registry hands out a test cursor, whose commit is
  a savepoint release, so tests run the same committing path as production);
- a lock per shop and flow (a session-level advisory lock: it survives the batch commits, and a
  long listing import never holds back the order import);
- the run's `etsy.sync.log`, written on its own short transactions as the run goes on;
- the Etsy client, whose 'calls left today' lands on the flow's own sync state row;
- per-record isolation (`EtsyFlow.isolated`): a savepoint, and a failure logged with its reason
  and its (redacted) traceback while the run goes on;
- the errors every flow treats alike: a revoked authorization puts the shop in error, Etsy's
  daily limit ends the run early keeping what was done, anything else fails the run with its
  traceback and rolls back what was not committed.
"""

import contextlib
import hashlib
import logging
import traceback

from odoo import Command, api
from odoo.exceptions import AccessError, UserError, ValidationError

from ..etsy.errors import EtsyDailyLimitError, EtsyError, EtsyReauthorizationRequired
from .sync_log_recorder import describe_error

_logger = logging.getLogger(__name__)

# Errors that concern the whole run, not one record: they end the run.
RUN_ERRORS = (EtsyReauthorizationRequired, EtsyDailyLimitError)
# Errors a record can meet in normal operation: logged with their reason, no traceback.
EXPECTED_RECORD_ERRORS = (EtsyError, UserError, ValidationError)


def is_unexpected(exc):
    """A bug or missing right, not bad data: its traceback is kept for whoever fixes it."""
    return isinstance(exc, AccessError) or not isinstance(exc, EXPECTED_RECORD_ERRORS)


def notification(message, kind="info", next_action=None):
    """A notification for the user's browser; a danger one stays until closed."""
    action = {"type": "ir.actions.client", "tag": "display_notification",
              "params": {"message": message, "type": kind, "sticky": kind == "danger"}}
    if next_action:
        action["params"]["next"] = next_action
    return action


def notify_log(log):
    """Tell the user what a manual run did (or why it failed), then reload the view."""
    reload = {"type": "ir.actions.client", "tag": "soft_reload"}
    if log.failed_with:
        return notification(log.failure_text, "danger", reload)
    return notification(log.message, "warning" if log.counts["failed"] else "success", reload)


def lock_key(name):
    """A stable signed 64-bit key for PostgreSQL advisory locks."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def flow_lock_key(shop_id, flow):
    return lock_key(f"etsy_connector:{shop_id}:{flow}")


def held_locks(cr):
    """The keys of the advisory locks some session of this database holds now: a run whose
    flow lock is not among them is not going on (its worker died)."""
    cr.execute("""
        SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks
         WHERE locktype = 'advisory' AND objsubid = 1 AND granted
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
    """)
    return {key for (key,) in cr.fetchall()}


class RunCache(dict):
    """Lookups that stay true while nothing is rolled back (currencies, products by SKU...)."""

    def fetch(self, key, compute):
        if key not in self:
            self[key] = compute()
        return self[key]


class RecordOutcome:
    """What `EtsyFlow.isolated` tells its caller: the error that failed the record, if any."""

    error = None

    @property
    def failed(self):
        return self.error is not None


class EtsyFlow:
    """One run of one flow for one shop. Subclasses implement `execute` (and `summary`)."""

    flow = None  # key of the lock and of the sync state row, e.g. "orders"
    operation = None  # etsy.sync.log operation (default: `flow`)
    needs_client = True

    def __init__(self, frame, **params):
        self.frame = frame
        self.env = frame.env
        self.shop = frame.shop
        self.log = frame.log
        self.client = frame.client
        self.state = frame.state
        self.trigger = frame.trigger
        self.params = params
        self.cache = RunCache()

    # --- what a flow implements --- #

    def execute(self):
        raise NotImplementedError

    def summary(self):
        """The log's message for a run that did not fail."""
        return ""

    def daily_limit_note(self):
        return self.env._("Etsy's daily API limit is reached: the next run continues where this "
                          "one stopped.")

    @classmethod
    def busy_message(cls, shop):
        """Why a button found this flow of `shop` running: what runs, and how far it is."""
        operation = cls.operation or cls.flow
        Log = shop.env["etsy.sync.log"]
        label = dict(Log._fields["operation"]._description_selection(shop.env)).get(operation)
        running = Log._running(shop, operation)[-1:]
        if running.progress_total:
            return shop.env._(
                "%(operation)s of %(shop)s: a sync is already running (%(progress)s). Wait for "
                "it to finish; the dashboard card and its sync log show how far it is.",
                operation=label, shop=shop.name, progress=running.progress_text)
        return shop.env._(
            "%(operation)s of %(shop)s: a sync is already running. Wait for it to finish; the "
            "dashboard card and its sync log show how far it is.",
            operation=label, shop=shop.name)

    # --- what a flow calls --- #

    def commit(self):
        """Make the work so far durable (a batch boundary)."""
        self.frame.commit()

    def progress(self, done, total):
        """Show how far the run is: `done` of `total` records (`total` from Etsy's count).

        Call it right after `commit()`, so that what it calls done is saved. It is written at
        once on the run's log, on the log's own short transaction (only the run writes its
        log: no other transaction waits on that row), where the dashboard card and the sync
        log read it. A total Etsy's count undershot (records that came meanwhile) grows to
        `done`.
        """
        self.log.progress(done, total)

    @contextlib.contextmanager
    def isolated(self, record_ref, etsy_id=None):
        """Process one record in a savepoint; a failure is logged and the run goes on.

        Yields a `RecordOutcome`. Run-level errors (revoked token, daily limit) propagate.
        A failure clears `self.cache`: it may hold records the savepoint just rolled back.
        """
        outcome = RecordOutcome()
        try:
            with self.env.cr.savepoint():
                yield outcome
        except RUN_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001 - one bad record never stops the run
            outcome.error = exc
            self.cache.clear()
            self.frame.record_failure(record_ref, exc, etsy_id)


class RunFrame:
    """The context of one run; built and driven by `run_flow`."""

    def __init__(self, env, shop, flow_cls, trigger):
        self.env = env
        self.shop = shop
        self.trigger = trigger
        self.flow_cls = flow_cls
        self.log = None
        self.client = None
        self.state = env["etsy.sync.state"]._for(shop, flow_cls.flow)

    def commit(self):
        calls_left = self.client.rate_limit.remaining_today if self.client else None
        if calls_left is not None:
            self.state._note_calls_left(calls_left)
        self.env.flush_all()
        self.env.cr.commit()  # pylint: disable=invalid-commit  # the run frame owns this cursor

    def rollback(self):
        self.env.cr.rollback()
        self.env.invalidate_all()

    def record_failure(self, record_ref, exc, etsy_id=None):
        if is_unexpected(exc):
            # A bug or a missing right, not bad data: keep its traceback for whoever fixes it.
            _logger.error("Etsy %s run of shop %s: %s failed:\n%s", self.flow_cls.flow,
                          self.shop.id, record_ref, self.redacted_traceback(exc))
        else:
            _logger.info("Etsy %s run of shop %s: %s failed: %s", self.flow_cls.flow,
                         self.shop.id, record_ref, self.shop._etsy_redact(describe_error(exc)))
        self.log.failure(record_ref, exc, etsy_id=etsy_id)

    def redacted_traceback(self, exc):
        return self.shop._etsy_redact("".join(traceback.format_exception(exc)))

    def run(self, params):
        operation = self.flow_cls.operation or self.flow_cls.flow
        # This run holds the flow's lock: a log of it still 'running' lost its worker.
        self.env["etsy.sync.log"]._close_abandoned(self.shop, operation)
        # The state row (created on a first run) must survive a rollback of the run.
        self.commit()
        with self.env["etsy.sync.log"]._open(self.shop, operation, trigger=self.trigger) as log:
            self.log = log
            flow = None
            try:
                if self.flow_cls.needs_client:
                    self.client = self.shop._etsy_client()
                # The run is recorded as started (its state row exists) whatever comes next.
                self.commit()
                flow = self.flow_cls(self, **params)
                result = flow.execute()
                self.commit()
            except EtsyReauthorizationRequired as exc:
                self.rollback()
                self.shop._etsy_mark_disconnected(exc)
                self.commit()
                log.fail(exc)
                result = None
            except EtsyDailyLimitError:
                # What was done stays done; the next run continues from the committed state.
                self.commit()
                log.note(self.shop.name, flow.daily_limit_note() if flow else "", "warning")
                result = None
            except Exception as exc:  # noqa: BLE001 - the run fails, the caller goes on
                self.rollback()
                _logger.error("Etsy %s run of shop %s (id %s) failed:\n%s", operation,
                              self.shop.name, self.shop.id, self.redacted_traceback(exc))
                log.fail(exc)
                if is_unexpected(exc):
                    log.note(self.shop.name, self.redacted_traceback(exc), "error")
                result = None
            finally:
                if self.client:
                    log.api_calls = self.client.call_count
            if flow and not log.failed_with:
                log.message = flow.summary()
        return log, result


def check_may_run(shop):
    """A run changes data (orders, stock, listings): only who may change the shop starts one.

    Superuser callers (the crons, a button that checked its own narrower right, such as a
    delivery's 'Send tracking to Etsy') are trusted.
    """
    if shop.env.su or shop.has_access("write"):
        return
    raise AccessError(shop.env._(
        "Running an Etsy sync changes your orders, stock and listings: it needs the Etsy / "
        "Manager access level. Ask an administrator to give it to you (Settings > Users)."))


def connector_env(cr, caller_env, shop):
    """The environment every run works in: the connector's own user, with only the rights the
    flows need (never the superuser), member of the shop's company."""
    bot = caller_env.ref("etsy_connector.user_etsy_bot", raise_if_not_found=False)
    if not bot:
        return api.Environment(cr, caller_env.uid, caller_env.context, su=caller_env.su)
    admin = api.Environment(cr, bot.id, caller_env.context, su=True)
    bot_user = admin["res.users"].browse(bot.id)
    if shop.company_id not in bot_user.company_ids:
        # A shop of a new company: the connector's user works for it too.
        bot_user.write({"company_ids": [Command.link(shop.company_id.id)]})
    return api.Environment(cr, bot.id, caller_env.context, su=False)


def run_flow(shop, flow_cls, trigger="cron", **params):
    """Run `flow_cls` for `shop` in the frame; returns `(log, result)`.

    The run works as the connector's own user (see `connector_env`), once the caller was found
    allowed to start it. `log` is None (and nothing ran) when another run of the same flow of
    this shop holds the lock: a manual run then raises a UserError saying so. The caller's
    environment is invalidated afterwards, as the run committed on a cursor of its own.
    """
    shop.ensure_one()
    check_may_run(shop)
    caller_env = shop.env
    # The run's cursor must see what the caller wrote (in tests both share one transaction).
    caller_env.flush_all()
    try:
        with caller_env.registry.cursor() as cr:
            env = connector_env(cr, caller_env, shop)
            run_shop = shop.with_env(env).with_company(shop.company_id)
            key = flow_lock_key(shop.id, flow_cls.flow)
            cr.execute("SELECT pg_try_advisory_lock(%s)", [key])
            if not cr.fetchone()[0]:
                if trigger == "manual":
                    raise UserError(flow_cls.busy_message(run_shop))
                _logger.info("Etsy %s run of shop %s skipped: another one is running",
                             flow_cls.flow, shop.id)
                return None, None
            try:
                return RunFrame(env, run_shop, flow_cls, trigger).run(params)
            finally:
                cr.execute("SELECT pg_advisory_unlock(%s)", [key])
    finally:
        caller_env.invalidate_all()
