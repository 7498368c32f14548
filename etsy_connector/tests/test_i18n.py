"""German and French: the addon's menus, views, fields, errors and sync-log messages follow
the user's language, and its .po files are complete and keep every placeholder."""

import re
from pathlib import Path

from babel.messages.extract import extract_python
from babel.messages.pofile import read_po

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tools.translate import TranslationModuleReader

from ..etsy.errors import EtsyDailyLimitError, EtsyNotFoundError
from ..models.etsy_run import EtsyFlow, notify_log, run_flow
from ..models.user_messages import user_text
from .common import MANAGER_GROUP, EtsyCase

I18N_DIR = Path(__file__).resolve().parent.parent / "i18n"
# %s, %(name)s, %r, {shop}; HTML tags are compared by name (their attributes may be translated).
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdr]|%[sdr]|\{[a-z_]+\}")
TAG = re.compile(r"<(/?[a-zA-Z]+)")

EXPECTED = {
    "de_DE": {
        "menus": {
            "menu_etsy_orders_top": "Bestellungen",
            "menu_etsy_receipt_issue": "Zu korrigierende Belege",
            "menu_etsy_catalog": "Angebote",
            "menu_etsy_product_to_link": "Zu verknüpfen",
            "menu_etsy_sync_log": "Protokolle",
            "menu_etsy_config": "Konfiguration",
            "menu_etsy_shop": "Shops",
        },
        "buttons": ("Mit Etsy verbinden", "Verbindung testen", "Bestand übertragen"),
        "field": "Sicherheitspuffer",
        "state": "Nicht verbunden",
        "connect_error": "Füllen Sie Keystring und Shared Secret aus, bevor Sie verbinden.",
        "log": "Ein Angebotsimport dieses Shops läuft: Es wurde kein Bestand übertragen",
        "daily_limit": "in etwa 2 Stunde(n) wieder",
        "not_found": "Etsy konnte diesen Datensatz nicht finden",
    },
    "fr_FR": {
        "menus": {
            "menu_etsy_orders_top": "Commandes",
            "menu_etsy_receipt_issue": "Reçus à corriger",
            "menu_etsy_catalog": "Fiches",
            "menu_etsy_product_to_link": "À lier",
            "menu_etsy_sync_log": "Journaux",
            "menu_etsy_config": "Configuration",
            "menu_etsy_shop": "Boutiques",
        },
        "buttons": ("Se connecter à Etsy", "Tester la connexion", "Envoyer le stock"),
        "field": "Marge de sécurité",
        "state": "Non connectée",
        "connect_error": "Renseignez Keystring et Shared Secret avant de vous connecter.",
        "log": "Une importation de fiches de cette boutique est en cours : aucun stock",
        "daily_limit": "dans environ 2 heure(s)",
        "not_found": "Etsy n'a pas trouvé cet enregistrement",
    },
}


def po_entries(path):
    with open(path, "rb") as po:
        return [message for message in read_po(po) if message.id]


@tagged("post_install", "-at_install")
class TestI18n(EtsyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for lang in EXPECTED:
            cls.env["res.lang"]._activate_lang(lang)
        cls.env["ir.module.module"]._load_module_terms(["etsy_connector"], list(EXPECTED))
        cls.users = {
            lang: new_test_user(cls.env, login=f"etsy_manager_{lang}", lang=lang,
                                groups=MANAGER_GROUP, company_id=cls.company_a.id,
                                company_ids=[cls.company_a.id])
            for lang in EXPECTED
        }

    def user_env(self, lang):
        """The environment of the user whose language is `lang`, as the web client builds it."""
        env = self.env(user=self.users[lang])
        return env(context=dict(env.context, **env["res.users"].context_get()))

    def test_menus_views_and_fields_are_in_the_users_language(self):
        for lang, expected in EXPECTED.items():
            with self.subTest(lang=lang):
                env = self.user_env(lang)
                self.assertEqual(env.lang, lang)
                for xmlid, name in expected["menus"].items():
                    self.assertEqual(env.ref(f"etsy_connector.{xmlid}").name, name, xmlid)
                arch = env["etsy.shop"].get_views([(False, "form")])["views"]["form"]["arch"]
                for label in expected["buttons"]:
                    self.assertIn(f'string="{label}"', arch)
                self.assertNotIn('string="Connect to Etsy"', arch)
                fields = env["etsy.shop"].fields_get(["stock_buffer", "state"],
                                                     ["string", "selection"])
                self.assertEqual(fields["stock_buffer"]["string"], expected["field"])
                self.assertIn(("draft", expected["state"]), fields["state"]["selection"])

    def test_errors_are_in_the_users_language(self):
        for lang, expected in EXPECTED.items():
            with self.subTest(lang=lang):
                env = self.user_env(lang)
                shop = env["etsy.shop"].create({"name": f"No credentials {lang}"})
                with self.assertRaises(UserError) as caught:
                    shop.action_connect()
                self.assertIn(expected["connect_error"], str(caught.exception))
                # The pure Etsy layer's messages, translated by the addon.
                self.assertIn(expected["daily_limit"],
                              user_text(env, EtsyDailyLimitError(retry_after=7200)))
                self.assertIn(expected["not_found"],
                              user_text(env, EtsyNotFoundError(status=404)))

    def test_sync_log_messages_are_in_the_language_of_who_started_the_run(self):
        for lang, expected in EXPECTED.items():
            with self.subTest(lang=lang):
                shop = self.shop.with_env(self.user_env(lang))
                with self.flow_running("listings"):
                    log = shop._sync_etsy_inventory(trigger="cron")
                record = self.env["etsy.sync.log"].browse(log.id)
                self.assertIn(expected["log"], record.message)

    def test_etsy_errors_on_the_sync_log_are_in_the_language_of_who_started_the_run(self):
        removed = EtsyNotFoundError(error_description="Listing 42 was removed", status=404,
                                    operation="getListing")
        for lang, expected in EXPECTED.items():
            with self.subTest(lang=lang):
                shop = self.shop.with_env(self.user_env(lang))
                on_a_record, _result = run_flow(shop, _Failing, "manual", error=removed)
                with self.assertLogs("odoo.addons.etsy_connector.models.etsy_run", "ERROR"):
                    on_the_run, _result = run_flow(shop, _Failing, "manual", error=removed,
                                                   fail_the_run=True)
                logs = self.env["etsy.sync.log"].browse([on_a_record.id, on_the_run.id])
                self.assertEqual(logs.mapped("state"), ["partial", "failed"])
                # The sentence in the user's language; Etsy's words and the call for support.
                for text in (logs[0].line_ids.message, logs[1].message):
                    self.assertIn(expected["not_found"], text)
                    self.assertIn("[Etsy: Listing 42 was removed (operation=getListing, "
                                  "status=404)]", text)
                self.assertEqual(notify_log(on_the_run)["params"]["message"], logs[1].message)

    def test_the_pot_holds_every_string_of_the_code(self):
        """What Odoo's exporter finds in the addon now is what the .pot holds."""
        exported = {row[4] for row in TranslationModuleReader(self.env.cr, ["etsy_connector"])}
        template = {message.id for message in po_entries(I18N_DIR / "etsy_connector.pot")}
        self.assertFalse(exported - template, "strings missing from the .pot: run ./setup/i18n")
        self.assertFalse(template - exported, "strings gone from the code: run ./setup/i18n")

    def test_the_exporter_reads_every_python_file_to_its_end(self):
        """Babel evaluates the arguments of a ``_()`` call: one it cannot evaluate (a function
        call inside an f-string) ends the file's extraction there, and the strings after it
        silently never reach the .pot."""
        addon = I18N_DIR.parent
        for path in sorted(addon.rglob("*.py")):
            with self.subTest(file=str(path.relative_to(addon))), path.open("rb") as source:
                list(extract_python(source, ["_", "_lt"], [], {}))

    def test_po_files_are_complete_and_keep_the_placeholders(self):
        template = {message.id for message in po_entries(I18N_DIR / "etsy_connector.pot")}
        self.assertGreater(len(template), 500)
        for code in ("de", "fr"):
            entries = po_entries(I18N_DIR / f"{code}.po")
            self.assertEqual({message.id for message in entries}, template,
                             f"{code}.po is not merged with the current .pot (./setup/i18n)")
            for message in entries:
                with self.subTest(lang=code, msgid=message.id[:60]):
                    self.assertTrue(message.string and message.string.strip(), "untranslated")
                    self.assertFalse(message.fuzzy, "fuzzy")
                    self.assertEqual(sorted(PLACEHOLDER.findall(message.string)),
                                     sorted(PLACEHOLDER.findall(message.id)))
                    self.assertEqual(sorted(TAG.findall(message.string)),
                                     sorted(TAG.findall(message.id)))


class _Failing(EtsyFlow):
    """A run that meets an Etsy error on a record, or fails with it."""

    flow = "listings"
    needs_client = False

    def execute(self):
        if self.params.get("fail_the_run"):
            raise self.params["error"]
        with self.isolated("listing 42", etsy_id=42):
            raise self.params["error"]
