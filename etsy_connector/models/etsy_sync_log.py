"""Synchronisation logs: what each run did, readable by users, never containing a secret."""

import datetime
import logging
from contextlib import contextmanager

from odoo import api, fields, models
from odoo.tools import format_datetime, formatLang

from ..const import (
    DEFAULT_RETENTION_DAYS,
    OPERATIONS,
    PURGE_BATCH,
    SYNC_LOG_RETENTION_PARAM,
)
from .etsy_run import flow_lock_key, held_locks
from .sync_log_recorder import SyncLogRecorder

_logger = logging.getLogger(__name__)


def number_text(env, number):
    """A count in the user's language: 1,200 (1.200 in German)."""
    return formatLang(env, number, digits=0)


def run_title(env, operation):
    """What a run of `operation` is doing, e.g. 'Importing listings' (dashboard card)."""
    titles = {
        "orders": env._("Importing orders"),
        "inventory": env._("Pushing stock"),
        "listings": env._("Importing listings"),
        "connect": env._("Connecting"),
        "notify": env._("Sending notifications"),
        "shipping": env._("Sending tracking"),
        "publish": env._("Publishing listings"),
        "ledger": env._("Reading the Etsy Payment Account"),
    }
    return titles.get(operation) or operation


def progress_phrase(env, operation, done, total):
    """'1,200 of 5,000 listings': how far a run that knows its total is."""
    done, total = number_text(env, done), number_text(env, total)
    if operation in ("listings", "inventory"):
        return env._("%(done)s of %(total)s listings", done=done, total=total)
    if operation == "orders":
        return env._("%(done)s of %(total)s receipts", done=done, total=total)
    return env._("%(done)s of %(total)s records", done=done, total=total)


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
    # Written by the run itself (its recorder) at each committed batch, for the runs that know
    # their total from Etsy's count: the listing import, the order window, the stock push.
    progress_done = fields.Integer(
        string="Gone Through", readonly=True,
        help="Records the run has gone through so far (saved at each batch).")
    progress_total = fields.Integer(
        string="To Go Through", readonly=True,
        help="Records the run has to go through, as Etsy counted them when it began (0: the run "
             "does not know beforehand).")
    progress_percent = fields.Float(
        string="Progress (%)", compute="_compute_progress",
        help="Share of the records the run has gone through.")
    progress_text = fields.Char(
        string="Progress", compute="_compute_progress",
        help="How far a running run is, e.g. '1,200 of 5,000 listings' (empty once it ended).")
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

    @api.depends("state", "operation", "progress_done", "progress_total", "records_done",
                 "records_failed")
    def _compute_progress(self):
        for log in self:
            total = log.progress_total
            log.progress_percent = min(100.0, 100.0 * log.progress_done / total) if total else 0.0
            if log.state != "running":
                log.progress_text = False
            elif total:
                log.progress_text = progress_phrase(self.env, log.operation,
                                                    log.progress_done, total)
            elif log.records_done or log.records_failed:
                log.progress_text = self.env._(
                    "%s records processed so far",
                    number_text(self.env, log.records_done + log.records_failed))
            else:
                log.progress_text = self.env._("Just started")

    def _card_text(self):
        """'Importing listings: 1,200 of 5,000', for the dashboard card."""
        self.ensure_one()
        if self.progress_total:
            return self.env._("%(title)s: %(done)s of %(total)s",
                              title=run_title(self.env, self.operation),
                              done=number_text(self.env, self.progress_done),
                              total=number_text(self.env, self.progress_total))
        return self.env._("%(title)s: %(progress)s", title=run_title(self.env, self.operation),
                          progress=self.progress_text)

    @api.model
    def _running(self, shops, operation=None):
        """The runs going on for `shops` (of `operation`), oldest first.

        A log a dead worker left 'running' (closed by the flow's next run only) is not one: the
        run's flow lock is held by no one.
        """
        domain = [("shop_id", "in", shops.ids), ("state", "=", "running")]
        if operation:
            domain.append(("operation", "=", operation))
        logs = self.sudo().search(domain, order="started_at, id")
        held = held_locks(self.env.cr) if logs else set()
        return logs.filtered(lambda log: flow_lock_key(log.shop_id.id, log.operation) in held)

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
