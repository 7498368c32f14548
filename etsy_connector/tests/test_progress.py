"""Long runs show how far they are: on their sync log and on the shop's dashboard card, batch
after batch, against the sandbox over real HTTP."""

import contextlib
import datetime
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..etsy import client as client_module
from ..models import flow_listings
from ..models.sync_log_recorder import SyncLogRecorder
from .sandbox_common import SandboxCase


@tagged("post_install", "-at_install")
class TestProgress(SandboxCase):
    def setUp(self):
        super().setUp()
        self.observed = []

    @contextlib.contextmanager
    def observing(self, written):
        """Each time the run writes its progress, note what the database then holds: the log
        row, the shop's dashboard card, and how many records the run has written
        (`written()`)."""
        write_progress = SyncLogRecorder.progress
        cr = self.env.cr

        def observe(recorder, done, total):
            write_progress(recorder, done, total)
            cr.execute("SELECT state, progress_done, progress_total FROM etsy_sync_log "
                       "WHERE id = %s", [recorder.id])
            state, done, total = cr.fetchone()
            # What a new request of the web client reads: nothing from this test's cache.
            self.env.invalidate_all()
            self.observed.append({
                "state": state, "done": done, "total": total, "rows": written(),
                "card": self.etsy_shop.dashboard_run_text,
                "percent": self.etsy_shop.dashboard_run_percent,
            })

        with patch.object(SyncLogRecorder, "progress", observe):
            yield

    def listings_written(self):
        return self.env["etsy.listing"].with_context(active_test=False).search_count(
            [("shop_id", "=", self.etsy_shop.id)])

    def orders_written(self):
        return len(self.orders())


    def log(self, recorder):
        log = self.env["etsy.sync.log"].browse(recorder.id)
        log.invalidate_recordset()
        return log

    # --- the listing import --- #

    def test_a_listing_import_shows_its_progress_at_each_batch(self):
        self.sandbox.generate_listings(120)
        with (patch.object(flow_listings, "LISTINGS_PER_COMMIT", 50),
              self.observing(self.listings_written)):
            log = self.etsy_shop._etsy_import_listings(trigger="manual")
        total = log.counts["fetched"]
        self.assertGreater(total, 120)
        pages = self.sandbox.calls("getListingsByShop")
        self.assertGreater(len(pages), len(flow_listings.LISTING_STATES),
                           "a state spans several pages")
        self.assertEqual(len({call["query"]["offset"] for call in pages
                              if call["query"]["state"] == "active"}), 2)
        self.assertEqual([seen["done"] for seen in self.observed], [0, 50, 100, total])
        for seen in self.observed:
            self.assertEqual(seen["state"], "running")
            self.assertEqual(seen["total"], total, "Etsy's counts of every state, from the start")
            self.assertEqual(seen["rows"], seen["done"], "what it calls done is written")
        self.assertEqual(self.observed[2]["card"], f"Importing listings: 100 of {total}")
        self.assertAlmostEqual(self.observed[2]["percent"], 100 * 100 / total)
        record = self.env["etsy.sync.log"].browse(log.id)
        self.assertEqual((record.state, record.progress_done, record.progress_total),
                         ("done", total, total), "it ends at its total")
        self.assertFalse(record.progress_text, "only a running run says how far it is")
        self.etsy_shop.invalidate_recordset()
        self.assertFalse(self.etsy_shop.dashboard_run_text, "the card shows nothing running")

    # --- the order backfill --- #

    def test_a_backfill_read_in_time_slices_counts_the_whole_window(self):
        self.sandbox.generate_receipts(130, days=60)
        self.etsy_shop.import_orders_since = fields.Datetime.now() - datetime.timedelta(days=90)
        # An offset cap lower than one page: the whole window no longer fits one query, so it
        # is read in slices (as a backfill beyond Etsy's 12,000 is).
        with (patch.object(client_module, "MAX_OFFSET", 0), self.observing(self.orders_written)):
            log = self.etsy_shop._sync_etsy_orders(trigger="manual")
        self.assertTrue([call for call in self.sandbox.calls("getShopReceipts")
                         if "max_last_modified" in call["query"]], "read in slices")
        total = log.counts["created"]
        self.assertGreater(total, 130)
        done = [seen["done"] for seen in self.observed]
        self.assertEqual(done, sorted(done))
        self.assertEqual(done[:2], [25, 50], "a batch of 25 receipts at a time")
        self.assertEqual(done[-1], total)
        for seen in self.observed:
            self.assertEqual(seen["total"], total, "the window's count, before the slicing")
            self.assertEqual(seen["rows"], seen["done"])
            self.assertEqual(seen["state"], "running")
        self.assertEqual(self.observed[0]["card"], f"Importing orders: 25 of {total}")

    # --- the dashboard card and the buttons --- #

    def test_the_card_shows_a_sync_asked_for_until_it_runs(self):
        answer = self.etsy_shop.action_sync_orders()
        self.assertIn("Order sync of Etsy Sandbox Shop started in the background: the shop's "
                      "dashboard card and its sync log show how far it is.",
                      answer["params"]["message"])
        self.assertEqual(answer["params"]["next"]["tag"], "soft_reload",
                         "the card shows the run at once")
        self.assertEqual(self.etsy_shop.dashboard_run_text, "Importing orders: waiting to start")
        self.env.ref("etsy_connector.ir_cron_run_requests").method_direct_trigger()
        self.etsy_shop.invalidate_recordset()
        self.assertFalse(self.etsy_shop.dashboard_run_text)
        self.assertTrue(self.orders())

    def test_a_button_says_what_runs_and_how_far_it_is(self):
        Log = self.env["etsy.sync.log"]
        with self.flow_running("listings"), Log._open(self.etsy_shop, "listings") as recorder:
            recorder.progress(1200, 5000)
            self.assertEqual(self.log(recorder).progress_text, "1,200 of 5,000 listings")
            with self.assertRaisesKeepingWrites(UserError) as caught:
                self.etsy_shop.action_import_listings()
            self.assertEqual(str(caught.exception), (
                "Listings of Etsy Sandbox Shop: a sync is already running (1,200 of 5,000 "
                "listings). Wait for it to finish; the dashboard card and its sync log show how "
                "far it is."))
            self.assertEqual(self.etsy_shop.dashboard_run_text,
                             "Importing listings: 1,200 of 5,000")
            self.assertEqual(self.etsy_shop.dashboard_run_percent, 24.0)
        with self.flow_running("orders"):
            with self.assertRaisesKeepingWrites(UserError) as caught:
                self.etsy_shop.import_receipt_by_id(1)
            self.assertIn("Orders of Etsy Sandbox Shop: a sync is already running. Wait",
                          str(caught.exception))

    def test_a_run_its_worker_left_is_not_shown_as_going_on(self):
        Log = self.env["etsy.sync.log"]
        with Log._open(self.etsy_shop, "listings") as recorder:
            recorder.progress(10, 500)
            # Nobody holds the listing import's lock: the worker that wrote this log died.
            self.assertEqual(self.log(recorder).state, "running")
            self.assertFalse(Log._running(self.etsy_shop))
            self.assertFalse(self.etsy_shop.dashboard_run_text)
            with self.flow_running("listings"):
                self.etsy_shop.invalidate_recordset()
                self.assertEqual(self.etsy_shop.dashboard_run_text,
                                 "Importing listings: 10 of 500")
