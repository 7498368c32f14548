"""Synchronisation logs: what each run did, readable by users, never containing a secret."""

import datetime
import logging
import time
from contextlib import contextmanager

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_datetime

from ..const import (
    COUNTERS,
    DEFAULT_RETENTION_DAYS,
    MAX_LOG_LINES,
    MAX_LOG_TEXT_LENGTH,
    OPERATIONS,
    PURGE_BATCH,
    SECRET_FIELDS,
    SYNC_LOG_RETENTION_PARAM,
)
from ..etsy.redact import redact

_logger = logging.getLogger(__name__)

class EtsySyncLog(models.Model):
    """One synchronisation run of one shop: counters, outcome and per-record lines."""

    _name = "etsy.sync.log"
    _description = "Etsy Sync Log"
    _order = "started_at desc, id desc"

    shop_id = fields.Many2one(
        "etsy.shop",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        help="Shop that was synchronised.",
    )
    company_id = fields.Many2one(
        related="shop_id.company_id",
        store=True,
        index=True,
        help="Company of the shop.",
    )
    operation = fields.Selection(
        OPERATIONS,
        required=True,
        readonly=True,
        help="What was synchronised.",
    )
    trigger = fields.Selection(
        [("cron", "Scheduled"), ("manual", "Manual")],
        required=True,
        readonly=True,
        default="manual",
        help="Scheduled: started by a scheduled action. Manual: started by a user.",
    )
    state = fields.Selection(
        [
            ("running", "Running"),
            ("done", "Done"),
            ("partial", "Partially Done"),
            ("failed", "Failed"),
        ],
        string="Status",
        required=True,
        readonly=True,
        default="running",
        help="Running: still in progress (counters are updated as it goes).\n"
        "Done: every record was processed.\n"
        "Partially Done: some records failed; see the lines, they are retried next time.\n"
        "Failed: the run stopped; see the message.",
    )
    started_at = fields.Datetime(
        required=True,
        readonly=True,
        default=fields.Datetime.now,
        help="When the run started.",
    )
    finished_at = fields.Datetime(readonly=True, help="When the run ended.")
    duration = fields.Float(
        string="Duration (s)",
        compute="_compute_duration",
        store=True,
        digits=(16, 1),
        aggregator="sum",
        help="Run time in seconds.",
    )
    records_fetched = fields.Integer(
        string="Fetched",
        readonly=True,
        help="Records read from Etsy during the run.",
    )
    records_done = fields.Integer(
        string="Processed",
        readonly=True,
        help="Records processed successfully (created, updated or skipped as unchanged).",
    )
    records_created = fields.Integer(
        string="Created", readonly=True, help="Records created in Odoo."
    )
    records_updated = fields.Integer(string="Updated", readonly=True, help="Records updated.")
    records_skipped = fields.Integer(
        string="Skipped", readonly=True, help="Records left alone because nothing had changed."
    )
    records_failed = fields.Integer(
        string="Failed", readonly=True, help="Records that could not be processed; see the lines."
    )
    api_calls = fields.Integer(
        string="API Calls", readonly=True, help="Requests sent to Etsy (or Discord) during the run."
    )
    message = fields.Text(readonly=True, help="Summary of the run, or why it failed.")
    line_ids = fields.One2many(
        "etsy.sync.log.line", "log_id", string="Lines", readonly=True, help="Per-record details."
    )

    @api.depends("started_at", "finished_at")
    def _compute_duration(self):
        for log in self:
            if log.started_at and log.finished_at:
                log.duration = (log.finished_at - log.started_at).total_seconds()
            else:
                log.duration = 0.0

    @api.depends("shop_id", "operation", "started_at")
    def _compute_display_name(self):
        operations = dict(self._fields["operation"]._description_selection(self.env))
        for log in self:
            started = format_datetime(self.env, log.started_at) if log.started_at else ""
            parts = (log.shop_id.name, operations.get(log.operation), started)
            log.display_name = " - ".join(part for part in parts if part)

    @api.model
    @contextmanager
    def _open(self, shop, operation, trigger="manual"):
        """Record one run of ``operation`` on ``shop``; use as a context manager.

        The log is written through its own short transactions, so users see it while the run
        goes on and it survives when the caller's transaction is rolled back::

            with self.env["etsy.sync.log"]._open(shop, "orders", trigger="cron") as log:
                log.count("created")
                log.failure("receipt 123", exc, etsy_id=123)
                log.api_calls = client.call_count

        On normal exit the state is ``done``, or ``partial`` when a record failed. When the block
        raises, the state is ``failed``, the message is the error made readable and stripped of
        secrets, and the exception propagates.

        Two things to know when calling it:

        - Lock the shop with ``FOR NO KEY UPDATE`` or an advisory lock, not ``FOR UPDATE``:
          creating the log checks the shop row, and a ``FOR UPDATE`` lock held by the caller
          makes that check fail after ``SyncLogRecorder.LOCK_TIMEOUT_MS``.
        - In tests (registry in test mode) the log's cursor writes inside the test's own
          transaction, so rolling back a savepoint opened before a log write removes that write
          (Odoo's ``assertRaises`` opens one; the tests' ``assertRaisesKeepingWrites`` does not).

        :param shop: one ``etsy.shop`` record.
        :param operation: a key of ``OPERATIONS``.
        :param trigger: ``cron`` or ``manual``.
        :return: a :class:`SyncLogRecorder`.
        """
        recorder = SyncLogRecorder(shop, operation, trigger)
        try:
            yield recorder
        except Exception as exc:
            try:
                recorder._finish(error=exc)
            except Exception:  # noqa: BLE001 - the caller must see its own error, not the log's
                _logger.warning("Could not record the failure of Etsy log %s", recorder.id)
            raise
        recorder._finish()


    @api.model
    def _close_abandoned(self, shop, operation):
        """Fail the runs of `operation` on `shop` left 'running' by a worker that died.

        Called by the run frame once it holds the flow's lock, so no live run is among them.
        """
        abandoned = self.sudo().search([("shop_id", "=", shop.id), ("operation", "=", operation),
                                        ("state", "=", "running")])
        abandoned.write({
            "state": "failed",
            "finished_at": fields.Datetime.now(),
            "message": self.env._("This run stopped without finishing: the Odoo worker running "
                                  "it was stopped or killed. The next run carried on from what "
                                  "it had saved; nothing needs doing."),
        })


    @api.model
    def _cron_purge_old_logs(self):
        """Scheduled action: delete finished logs older than the retention (default 90 days)."""
        days = int(self.env["ir.config_parameter"].sudo().get_param(
            SYNC_LOG_RETENTION_PARAM, DEFAULT_RETENTION_DAYS) or 0)
        if days <= 0:
            return 0
        cutoff = fields.Datetime.now() - datetime.timedelta(days=days)
        old = self.sudo().search([("started_at", "<", cutoff), ("state", "!=", "running")],
                                 limit=PURGE_BATCH)
        count = len(old)
        old.unlink()
        if count == PURGE_BATCH:
            self.env["ir.cron"]._notify_progress(done=count, remaining=1)
        return count


class EtsySyncLogLine(models.Model):
    """One remark about one record during a synchronisation run."""

    _name = "etsy.sync.log.line"
    _description = "Etsy Sync Log Line"
    _order = "id"

    log_id = fields.Many2one(
        "etsy.sync.log",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        help="Run this line belongs to.",
    )
    level = fields.Selection(
        [("info", "Info"), ("warning", "Warning"), ("error", "Error")],
        required=True,
        readonly=True,
        default="info",
        help="Error: the record was not processed and is retried at the next run.",
    )
    record_ref = fields.Char(
        string="Record", readonly=True, help="Which record, e.g. 'receipt 123' or 'listing 456'."
    )
    etsy_id = fields.Char(string="Etsy ID", readonly=True, help="Id of the record on Etsy.")
    message = fields.Text(readonly=True, help="What happened, or what to fix.")


class SyncLogRecorder:
    """Writes one ``etsy.sync.log`` while a run goes on; returned by ``etsy.sync.log._open``.

    Counters are kept in memory and written at most every ``FLUSH_INTERVAL`` seconds (and at
    the end); lines are written at once. Each write is a short transaction on a cursor of its
    own, so no connection sits idle in a transaction while the run waits on Etsy.
    """

    FLUSH_INTERVAL = 2.0
    LOCK_TIMEOUT_MS = 10000

    def __init__(self, shop, operation, trigger):
        shop.ensure_one()
        # The log's cursor must see the shop row, including one created in this transaction
        # (in tests both cursors share one transaction).
        shop.env.flush_all()
        self._registry = shop.env.registry
        self._uid = shop.env.uid
        context = shop.env.context
        self._context = {key: context[key] for key in ("lang", "tz") if key in context}
        self._shop_id = shop.id
        # Read now: at the end the caller's transaction may be aborted.
        self._secrets = shop_secrets(shop)
        self._counts = dict.fromkeys(COUNTERS, 0)
        self._api_calls = 0
        # Summary stored when the run ends normally, e.g. "12 receipts imported".
        self.message = ""
        self._lines_written = 0
        self._lines_dropped = 0
        self._handled_error = None
        self._last_flush = time.monotonic()
        self.id = self._write(
            lambda logs: (
                logs.create(
                    {"shop_id": self._shop_id, "operation": operation, "trigger": trigger}
                ).id
            )
        )

    # --- what a flow calls --- #

    @property
    def counts(self):
        """Current counters, e.g. ``{'done': 3, 'created': 2, ...}`` (a copy)."""
        return dict(self._counts)

    @property
    def api_calls(self):
        """Number of API calls made so far (set it from the client's call counter)."""
        return self._api_calls

    @api_calls.setter
    def api_calls(self, value):
        self._api_calls = value
        self._flush_if_due()

    def count(self, kind, n=1):
        """Count ``n`` records of ``kind``: created, updated and skipped also count as done."""
        if kind not in COUNTERS:
            raise ValueError(f"Unknown counter {kind!r}; use one of {', '.join(COUNTERS)}")
        self._counts[kind] += n
        if kind in ("created", "updated", "skipped"):
            self._counts["done"] += n
        self._flush_if_due()

    def failure(self, record_ref, error, etsy_id=None):
        """Count one failed record and say why (``error``: an exception or a text)."""
        self._counts["failed"] += 1
        self._add_line("error", record_ref, error, etsy_id)

    @property
    def failed_with(self):
        """The error given to :meth:`fail`, or None (for the caller's own answer to a user)."""
        return self._handled_error

    def fail(self, error):
        """End the run as failed with ``error`` although the caller handled it (no raise).

        For errors a flow turns into state it must keep, e.g. a revoked token that puts the
        shop in error: raising would roll that state back.
        """
        self._handled_error = error

    def note(self, record_ref, text, level="info", etsy_id=None):
        """Add an info or warning line about a record without changing any counter."""
        self._add_line(level, record_ref, text, etsy_id)

    def flush(self):
        """Write the counters now."""
        self._write(lambda logs: logs.browse(self.id).write(self._counter_values()))

    # --- internals --- #

    def _add_line(self, level, record_ref, text, etsy_id):
        if self._lines_written >= MAX_LOG_LINES:
            self._lines_dropped += 1
            self._flush_if_due()
            return
        self._lines_written += 1

        def write_line(logs):
            logs.env["etsy.sync.log.line"].create(
                {
                    "log_id": self.id,
                    "level": level,
                    "record_ref": self._clean(logs.env, record_ref),
                    "message": self._clean(logs.env, describe_error(text)),
                    "etsy_id": str(etsy_id) if etsy_id else False,
                }
            )
            logs.browse(self.id).write(self._counter_values())

        self._write(write_line)

    def _finish(self, error=None):
        if error is None:
            error = self._handled_error

        def finish(logs):
            values = self._counter_values()
            values["finished_at"] = fields.Datetime.now()
            if error is not None:
                values["state"] = "failed"
                values["message"] = self._clean(logs.env, describe_error(error))
            else:
                values["state"] = "partial" if self._counts["failed"] else "done"
                values["message"] = self._clean(logs.env, self.message) or False
            if self._lines_dropped:
                logs.env["etsy.sync.log.line"].create(
                    {
                        "log_id": self.id,
                        "level": "warning",
                        "message": f"{self._lines_dropped} more lines were not recorded.",
                    }
                )
            logs.browse(self.id).write(values)

        self._write(finish)

    def _counter_values(self):
        self._last_flush = time.monotonic()
        values = {f"records_{kind}": n for kind, n in self._counts.items()}
        values["api_calls"] = self._api_calls
        return values

    def _flush_if_due(self):
        if time.monotonic() - self._last_flush >= self.FLUSH_INTERVAL:
            self.flush()

    def _clean(self, env, text):
        # Also scrub the shop's current secrets: a token may have been renewed during the run.
        secrets = self._secrets + shop_secrets(env["etsy.shop"].browse(self._shop_id))
        text = redact(text, secrets).strip()
        if len(text) > MAX_LOG_TEXT_LENGTH:
            text = text[: MAX_LOG_TEXT_LENGTH - 1] + "\u2026"
        return text

    def _write(self, operation):
        with self._registry.cursor() as cr:
            if not self._registry.in_test_mode():
                # Inserting a log checks the shop row. Should the caller hold a FOR UPDATE lock
                # on that row, waiting would never end (the caller waits for us): fail instead.
                cr.execute("SET LOCAL lock_timeout = %s", [f"{self.LOCK_TIMEOUT_MS}ms"])
            env = api.Environment(cr, self._uid, self._context, su=True)
            return operation(env["etsy.sync.log"])


def shop_secrets(shops):
    """The secret values of `shops` (read as superuser): what every text is scrubbed of."""
    return [value for shop in shops.sudo() for value in (shop[name] for name in SECRET_FIELDS)
            if value]


def describe_error(error):
    """A user-readable text for an exception (or a text given as is)."""
    if not isinstance(error, BaseException):
        return "" if error is None else str(error)
    if isinstance(error, UserError):
        return str(error.args[0]) if error.args else type(error).__name__
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
