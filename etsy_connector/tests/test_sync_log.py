import threading
from unittest.mock import patch

from psycopg2.errors import LockNotAvailable

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT
from odoo.addons.etsy_connector.models import sync_log_recorder
from odoo.addons.etsy_connector.models.sync_log_recorder import SyncLogRecorder

from .common import ACCESS_TOKEN, KEYSTRING, REFRESH_TOKEN, SHARED_SECRET, WEBHOOK_URL, EtsyCase


@tagged("post_install", "-at_install")
class TestSyncLog(EtsyCase):
    def _log(self, recorder):
        log = self.env["etsy.sync.log"].browse(recorder.id)
        log.invalidate_recordset()
        log.line_ids.invalidate_recordset()
        return log

    def test_counts_and_done(self):
        with self.env["etsy.sync.log"]._open(self.shop, "orders", trigger="cron") as recorder:
            recorder.count("created")
            recorder.count("updated", 2)
            recorder.count("skipped")
            recorder.count("done")
            recorder.api_calls = 7
            recorder.message = "5 receipts read"
        log = self._log(recorder)
        self.assertEqual(log.state, "done")
        self.assertEqual(log.trigger, "cron")
        self.assertEqual(log.operation, "orders")
        self.assertEqual(log.shop_id, self.shop)
        self.assertEqual(log.company_id, self.company_a)
        self.assertEqual(
            (log.records_done, log.records_created, log.records_updated, log.records_skipped),
            (5, 1, 2, 1),
        )
        self.assertEqual(log.records_failed, 0)
        self.assertEqual(log.api_calls, 7)
        self.assertEqual(log.message, "5 receipts read")
        self.assertTrue(log.finished_at)
        self.assertGreaterEqual(log.duration, 0.0)
        self.assertFalse(log.line_ids)
        self.assertIn("Shop A", log.display_name)
        self.assertIn("Orders", log.display_name)

    def test_record_failures_make_the_run_partial(self):
        with self.env["etsy.sync.log"]._open(self.shop, "orders") as recorder:
            recorder.count("created")
            recorder.failure("receipt 123", ValueError("unknown SKU CUP-RED"), etsy_id=123)
            recorder.failure("receipt 124", "no shipping address")
            recorder.note("listing 9", "placeholder product used", level="warning", etsy_id=9)
            self.assertEqual(recorder.counts["failed"], 2)
        log = self._log(recorder)
        self.assertEqual(log.state, "partial")
        self.assertEqual((log.records_done, log.records_created, log.records_failed), (1, 1, 2))
        self.assertEqual(log.trigger, "manual")
        self.assertEqual(
            [(line.level, line.record_ref, line.etsy_id, line.message) for line in log.line_ids],
            [
                ("error", "receipt 123", "123", "ValueError: unknown SKU CUP-RED"),
                ("error", "receipt 124", False, "no shipping address"),
                ("warning", "listing 9", "9", "placeholder product used"),
            ],
        )

    def test_exception_fails_the_run_without_leaking_secrets(self):
        logs = self.env["etsy.sync.log"]
        with (
            self.assertRaisesKeepingWrites(RuntimeError) as caught,
            logs._open(self.shop, "orders") as recorder,
        ):
            recorder.failure("receipt 1", RuntimeError(f"401, Bearer {ACCESS_TOKEN}"), etsy_id=1)
            raise RuntimeError(
                f"Etsy refused the request: token={ACCESS_TOKEN} refresh {REFRESH_TOKEN} "
                f"x-api-key: {KEYSTRING}:{SHARED_SECRET} then posted to {WEBHOOK_URL}"
            )
        # The caller gets its exception back, untouched.
        self.assertIn(ACCESS_TOKEN, str(caught.exception))
        log = self._log(recorder)
        self.assertEqual(log.state, "failed")
        self.assertTrue(log.finished_at)
        self.assertEqual(log.records_failed, 1)
        self.assertTrue(log.message.startswith("RuntimeError: Etsy refused the request"))
        self.assertNoSecret(log.message)
        self.assertTrue(log.line_ids)
        for line in log.line_ids:
            self.assertNoSecret(line.message)

    def test_user_error_message_is_kept_as_written(self):
        with (
            self.assertRaisesKeepingWrites(UserError),
            self.env["etsy.sync.log"]._open(self.shop, "connect"),
        ):
            raise UserError(self.env._("Reconnect the shop: Etsy revoked the token."))
        log = self.env["etsy.sync.log"].search([("shop_id", "=", self.shop.id)])
        self.assertEqual(log.state, "failed")
        self.assertEqual(log.operation, "connect")
        self.assertEqual(log.message, "Reconnect the shop: Etsy revoked the token.")

    def test_secrets_renewed_during_the_run_are_removed(self):
        new_token = "87654321.freshlyRotated"  # too short for the generic token pattern
        with self.env["etsy.sync.log"]._open(self.shop, "orders") as recorder:
            self.shop.access_token = new_token
            self.shop.flush_recordset()
            recorder.failure("receipt 5", f"rejected {new_token}")
        self.assertNotIn(new_token, self._log(recorder).line_ids.message)

    def test_progress_is_visible_while_running(self):
        with self.env["etsy.sync.log"]._open(self.shop, "inventory") as recorder:
            with patch.object(SyncLogRecorder, "FLUSH_INTERVAL", 3600):
                recorder.count("updated", 3)
                recorder.api_calls = 4
            log = self._log(recorder)
            self.assertEqual(log.state, "running")
            self.assertEqual(log.records_updated, 0, "counters are not written at every count")
            recorder.flush()
            log = self._log(recorder)
            self.assertEqual((log.state, log.records_updated, log.api_calls), ("running", 3, 4))
            with patch.object(SyncLogRecorder, "FLUSH_INTERVAL", 0):
                recorder.count("skipped")
            self.assertEqual(self._log(recorder).records_skipped, 1)
        self.assertEqual(self._log(recorder).state, "done")

    def test_progress_is_written_at_once_and_said_in_words(self):
        with (patch.object(SyncLogRecorder, "FLUSH_INTERVAL", 3600),
              self.env["etsy.sync.log"]._open(self.shop, "orders") as recorder):
            log = self._log(recorder)
            self.assertEqual(log.progress_text, "Just started")
            recorder.count("created", 3)
            recorder.flush()
            self.assertEqual(self._log(recorder).progress_text, "3 records processed so far")
            recorder.progress(1200, 5000)
            log = self._log(recorder)
            self.assertEqual((log.progress_done, log.progress_total), (1200, 5000),
                             "written at once, whatever the counters' interval")
            self.assertEqual(log.progress_text, "1,200 of 5,000 receipts")
            self.assertEqual(log.progress_percent, 24.0)
            recorder.progress(5010, 5000)
            self.assertEqual(self._log(recorder).progress_total, 5010,
                             "receipts that came during the run add to Etsy's count")
        log = self._log(recorder)
        self.assertEqual((log.state, log.progress_done, log.progress_percent), ("done", 5010, 100))
        self.assertFalse(log.progress_text, "a run that ended says what it did, not how far")

    def test_lines_are_capped(self):
        logs = self.env["etsy.sync.log"]
        with (
            patch.object(sync_log_recorder, "MAX_LOG_LINES", 3),
            logs._open(self.shop, "listings") as recorder,
        ):
            for number in range(5):
                recorder.failure(f"listing {number}", "missing SKU")
        log = self._log(recorder)
        self.assertEqual(log.records_failed, 5)
        self.assertEqual(log.line_ids.mapped("level"), ["error", "error", "error", "warning"])
        self.assertEqual(log.line_ids[-1].message, "2 more lines were not recorded.")

    def test_long_messages_are_cut(self):
        with self.env["etsy.sync.log"]._open(self.shop, "orders") as recorder:
            recorder.failure("receipt 7", "x" * 5000)
        message = self._log(recorder).line_ids.message
        self.assertEqual(len(message), sync_log_recorder.MAX_LOG_TEXT_LENGTH)
        self.assertTrue(message.endswith("\u2026"))

    def test_unknown_counter_is_refused(self):
        with (
            self.env["etsy.sync.log"]._open(self.shop, "orders") as recorder,
            self.assertRaises(ValueError),
        ):
            recorder.count("deleted")


@tagged("post_install", "-at_install")
class TestSyncLogOwnTransaction(TransactionCase):
    """The log must outlive a rollback of the caller's transaction.

    A single test transaction cannot show that, so this test works with real, committed
    transactions on their own cursors, and removes what it committed afterwards.
    """

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, DISABLED_MAIL_CONTEXT)

    def _delete_shop(self, shop_id):
        with self.registry.cursor() as cr:
            self._env(cr)["etsy.shop"].browse(shop_id).unlink()

    def test_log_survives_rollback_of_caller(self):
        with self.registry.cursor() as cr:
            shop_id = self._env(cr)["etsy.shop"].create({"name": "Rollback probe"}).id
        self.addCleanup(self._delete_shop, shop_id)

        with self.registry.cursor() as caller_cr:
            env = self._env(caller_cr)
            shop = env["etsy.shop"].browse(shop_id)
            logs = env["etsy.sync.log"]
            with self.assertRaises(RuntimeError), logs._open(shop, "orders") as recorder:
                shop.last_order_sync = "2024-05-01 10:00:00"
                shop.flush_recordset()
                recorder.count("created")
                recorder.failure("receipt 42", "broken receipt", etsy_id=42)
                raise RuntimeError("Etsy went away")
            caller_cr.rollback()

        with self.registry.cursor() as cr:
            env = self._env(cr)
            shop = env["etsy.shop"].browse(shop_id)
            self.assertFalse(shop.last_order_sync, "the caller's work is undone")
            log = env["etsy.sync.log"].browse(recorder.id)
            self.assertEqual(log.state, "failed")
            self.assertEqual(log.message, "RuntimeError: Etsy went away")
            self.assertEqual((log.records_created, log.records_failed), (1, 1))
            self.assertEqual(log.line_ids.etsy_id, "42")

    def test_log_fails_fast_instead_of_waiting_on_callers_lock(self):
        with self.registry.cursor() as cr:
            shop_id = self._env(cr)["etsy.shop"].create({"name": "Lock probe"}).id
        self.addCleanup(self._delete_shop, shop_id)

        with self.registry.cursor() as caller_cr:
            # A caller that locks its shop FOR UPDATE blocks the log's foreign-key check.
            caller_cr.execute("SELECT id FROM etsy_shop WHERE id = %s FOR UPDATE", [shop_id])
            # Should the log wait anyway, release the lock after a while: fail, do not hang.
            watchdog = threading.Timer(5, caller_cr.rollback)
            watchdog.start()
            self.addCleanup(watchdog.cancel)
            shop = self._env(caller_cr)["etsy.shop"].browse(shop_id)
            logs = self._env(caller_cr)["etsy.sync.log"]
            with (
                patch.object(SyncLogRecorder, "LOCK_TIMEOUT_MS", 200),
                mute_logger("odoo.sql_db"),
                self.assertRaises(LockNotAvailable),
                logs._open(shop, "orders"),
            ):
                pass
            caller_cr.rollback()
