"""The run frame every flow runs through: commits, locks, isolation, errors, sync state."""

import logging

from odoo import sql_db
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.etsy_run import EtsyFlow, flow_lock_key, run_flow
from .common import ACCESS_TOKEN, EtsyCase

FRAME_LOGGER = "odoo.addons.etsy_connector.models.etsy_run"


class NoteFlow(EtsyFlow):
    """A flow without Etsy: renames partners, commits after the first, then does what it's told."""

    flow = "orders"
    needs_client = False

    def execute(self):
        first, second = self.env["res.partner"].browse(self.params["partner_ids"])
        first.name = "committed"
        self.commit()
        second.name = "not committed"
        self.state._advance(self.params.get("watermark"))
        if self.params.get("fail"):
            raise self.params["fail"]
        return "finished"

    def summary(self):
        return "noted"


class RecordsFlow(EtsyFlow):
    """Processes records one by one; some fail, as data or as bugs."""

    flow = "inventory"
    needs_client = False

    def execute(self):
        done = []
        for name, error in self.params["records"]:
            with self.isolated(f"record {name}", etsy_id=name) as outcome:
                partner = self.env["res.partner"].create({"name": name})
                if error:
                    raise error
            if not outcome.failed:
                done.append(partner.name)
        return done


@tagged("post_install", "-at_install")
class TestRunFrame(EtsyCase):
    def setUp(self):
        super().setUp()
        self.partners = self.env["res.partner"].create([{"name": "a"}, {"name": "b"}])

    def run_note(self, trigger="cron", **params):
        return run_flow(self.shop, NoteFlow, trigger, partner_ids=self.partners.ids, **params)

    def test_a_run_commits_and_records_its_log_and_state(self):
        log, result = self.run_note(watermark="2024-05-01 10:00:00")
        self.assertEqual(result, "finished")
        self.assertEqual(self.partners.mapped("name"), ["committed", "not committed"])
        record = self.env["etsy.sync.log"].browse(log.id)
        self.assertEqual((record.state, record.message, record.operation), ("done", "noted",
                                                                           "orders"))
        state = self.env["etsy.sync.state"]._for(self.shop, "orders")
        self.assertEqual(str(state.watermark), "2024-05-01 10:00:00")

    def test_a_failing_run_keeps_what_it_committed_and_says_why(self):
        bug = KeyError(f"receipt_id for {ACCESS_TOKEN}")
        with self.assertLogs(FRAME_LOGGER, logging.ERROR) as logged:
            log, result = self.run_note(fail=bug, watermark="2024-05-01 10:00:00")
        self.assertIsNone(result)
        self.assertEqual(self.partners.mapped("name"), ["committed", "b"],
                         "the batch committed before the failure stays, the rest is undone")
        self.assertFalse(self.env["etsy.sync.state"]._for(self.shop, "orders").watermark)
        record = self.env["etsy.sync.log"].browse(log.id)
        self.assertEqual(record.state, "failed")
        self.assertIn("KeyError", record.message)
        # The traceback is kept, for the server log and on the run's log, without the token.
        self.assertIn("Traceback", logged.output[0])
        traceback_line = record.line_ids.filtered(lambda line: "Traceback" in line.message)
        self.assertTrue(traceback_line)
        self.assertNoSecret(logged.output[0])
        self.assertNoSecret(traceback_line.message)
        self.assertNoSecret(record.message)

    def test_a_user_error_fails_the_run_with_its_text_only(self):
        log, _result = self.run_note(fail=UserError("Set a warehouse on the shop first."))
        record = self.env["etsy.sync.log"].browse(log.id)
        self.assertEqual((record.state, record.message),
                         ("failed", "Set a warehouse on the shop first."))
        self.assertFalse(record.line_ids, "no traceback for an error a person can act on")

    def test_one_bad_record_never_stops_the_run(self):
        records = [("one", None), ("two", UserError("Etsy says no")),
                   ("three", AttributeError("bug")), ("four", None)]
        with self.assertLogs(FRAME_LOGGER, logging.ERROR) as logged:
            log, done = run_flow(self.shop, RecordsFlow, "cron", records=records)
        self.assertEqual(done, ["one", "four"])
        names = self.env["res.partner"].search([("name", "in", ["one", "two", "three", "four"])])
        self.assertEqual(sorted(names.mapped("name")), ["four", "one"], "failed ones rolled back")
        record = self.env["etsy.sync.log"].browse(log.id)
        self.assertEqual((record.state, record.records_failed), ("partial", 2))
        self.assertEqual(sorted(record.line_ids.mapped("etsy_id")), ["three", "two"])
        # Only the bug is logged with its traceback; bad data is a line for people.
        self.assertEqual(len(logged.output), 1)
        self.assertIn("record three", logged.output[0])
        self.assertIn("AttributeError", logged.output[0])

    def test_a_run_waits_for_nobody(self):
        """A run of the same flow of the same shop elsewhere: cron skips, a button says so."""
        other = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute("SELECT pg_advisory_lock(%s)", [flow_lock_key(self.shop.id, "orders")])
            self.assertEqual(self.run_note(), (None, None))
            with self.assertRaisesRegex(UserError, "already running"):
                self.run_note(trigger="manual")
            # Another flow of the same shop is not held back.
            log, _done = run_flow(self.shop, RecordsFlow, "manual", records=[])
            self.assertTrue(log)
        finally:
            other.execute("SELECT pg_advisory_unlock_all()")
            other.close()
        self.assertEqual(self.run_note()[1], "finished", "the lock is free again")
        self.assertFalse(self.partners.filtered(lambda p: p.name == "a"))

    def test_each_flow_keeps_its_state_in_its_own_row(self):
        run_flow(self.shop, RecordsFlow, "cron", records=[])
        self.run_note(watermark="2024-05-01 10:00:00")
        states = self.env["etsy.sync.state"].search([("shop_id", "=", self.shop.id)])
        self.assertEqual(sorted(states.mapped("flow")), ["inventory", "orders"])
        self.assertEqual(self.env["etsy.sync.state"]._for(self.shop, "orders"),
                         states.filtered(lambda s: s.flow == "orders"), "created once")

    def test_a_run_closes_the_logs_a_dead_worker_left_running(self):
        stale = self.env["etsy.sync.log"].create({"shop_id": self.shop.id, "operation": "orders"})
        other_flow = self.env["etsy.sync.log"].create({"shop_id": self.shop.id,
                                                       "operation": "inventory"})
        log, _result = self.run_note()
        self.assertEqual(stale.state, "failed")
        self.assertIn("worker running it was stopped or killed", stale.message)
        self.assertTrue(stale.finished_at)
        self.assertEqual(other_flow.state, "running", "another flow's run may still be alive")
        self.assertEqual(self.env["etsy.sync.log"].browse(log.id).state, "done")
