"""The recorder of one run's sync log: counters and lines written through short transactions of
its own (users see the run as it goes; the log survives the run's rollback), every text made
readable (`describe_error`) and scrubbed of the shop's secrets (`shop_secrets`).

Made by `etsy.sync.log._open`, which the run frame (`etsy_run.py`) calls.
"""

import time

from odoo import api, fields
from odoo.exceptions import UserError

from ..const import COUNTERS, MAX_LOG_LINES, MAX_LOG_TEXT_LENGTH, SECRET_FIELDS
from ..etsy.errors import UserMessage
from ..etsy.redact import redact
from .user_messages import user_text


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
        self._progress = {}
        # Summary stored when the run ends normally, e.g. "12 receipts imported".
        self.message = ""
        self._lines_written = 0
        self._lines_dropped = 0
        self._handled_error = None
        # Why the run failed, as its log says it (translated, scrubbed of secrets).
        self.failure_text = ""
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

    def progress(self, done, total):
        """Note how far the run is, ``done`` of ``total`` records, and write it now (with the
        counters): the dashboard card and the log show it while the run goes on."""
        self._progress = {"progress_done": done, "progress_total": max(done, total or 0)}
        self.flush()

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
                    "message": self._clean(logs.env, describe_error(text, logs.env)),
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
                values["message"] = self._clean(logs.env, describe_error(error, logs.env))
                self.failure_text = values["message"]
            else:
                values["state"] = "partial" if self._counts["failed"] else "done"
                values["message"] = self._clean(logs.env, self.message) or False
            if self._lines_dropped:
                logs.env["etsy.sync.log.line"].create(
                    {
                        "log_id": self.id,
                        "level": "warning",
                        "message": logs.env._("%s more lines were not recorded.",
                                              self._lines_dropped),
                    }
                )
            logs.browse(self.id).write(values)

        self._write(finish)

    def _counter_values(self):
        self._last_flush = time.monotonic()
        values = {f"records_{kind}": n for kind, n in self._counts.items()}
        values["api_calls"] = self._api_calls
        values.update(self._progress)
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


def describe_error(error, env=None):
    """A user-readable text for an exception (or a text given as is), in `env`'s language.

    Without `env` (the server log) the Etsy layer's sentences stay in English. Its errors keep
    Etsy's own words and the call's details after the sentence, for whoever investigates.
    """
    if not isinstance(error, BaseException):
        return "" if error is None else str(error)
    if isinstance(error, UserError):
        return str(error.args[0]) if error.args else type(error).__name__
    if isinstance(error, UserMessage):
        sentence = user_text(env, error) if env is not None else error.user_message
        return f"{sentence} [Etsy: {error.reference}]" if error.reference else sentence
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
