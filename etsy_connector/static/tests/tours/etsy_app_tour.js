import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// The Etsy app as a seller finds it: from Odoo's home menu, in their own language.
// Data comes from tests/test_app_tour.py: a connected shop with a sync log written in each
// language, and a new shop without credentials (its Connect button must explain what is missing).
const CONNECTED_SHOP = "Etsy App Shop";
const NEW_SHOP = "Etsy New Shop";

// What the user reads, per language; the words come from the addon's .po files.
const LABELS = {
    en: {
        dashboard: "Etsy Dashboard",
        ordersSynced: "Orders synced",
        orders: "Orders",
        receiptsToFix: "Receipts to Fix",
        receiptsToFixAction: "Etsy Receipts to Fix",
        listings: "Listings",
        listingsAction: "Etsy Listings",
        toLink: "To Link",
        toLinkAction: "Etsy Products to Link",
        logs: "Logs",
        logsAction: "Etsy Sync Logs",
        logMessage: "A listing import of this shop is running",
        configuration: "Configuration",
        shops: "Shops",
        shopsAction: "Etsy Shops",
        connect: "Connect to Etsy",
        connectError: "Fill in Keystring and Shared Secret before connecting",
    },
    de: {
        dashboard: "Etsy-Dashboard",
        ordersSynced: "Bestellungen synchronisiert",
        orders: "Bestellungen",
        receiptsToFix: "Zu korrigierende Belege",
        receiptsToFixAction: "Zu korrigierende Etsy-Belege",
        listings: "Angebote",
        listingsAction: "Etsy-Angebote",
        toLink: "Zu verknüpfen",
        toLinkAction: "Zu verknüpfende Etsy-Produkte",
        logs: "Protokolle",
        logsAction: "Etsy-Synchronisierungsprotokolle",
        logMessage: "Ein Angebotsimport dieses Shops läuft",
        configuration: "Konfiguration",
        shops: "Shops",
        shopsAction: "Etsy-Shops",
        connect: "Mit Etsy verbinden",
        connectError: "Füllen Sie Keystring und Shared Secret aus, bevor Sie verbinden",
    },
    fr: {
        dashboard: "Tableau de bord Etsy",
        ordersSynced: "Commandes synchronisées",
        orders: "Commandes",
        receiptsToFix: "Reçus à corriger",
        receiptsToFixAction: "Reçus Etsy à corriger",
        listings: "Fiches",
        listingsAction: "Fiches Etsy",
        toLink: "À lier",
        toLinkAction: "Produits Etsy à lier",
        logs: "Journaux",
        logsAction: "Journaux de synchronisation Etsy",
        logMessage: "Une importation de fiches de cette boutique est en cours",
        configuration: "Configuration",
        shops: "Boutiques",
        shopsAction: "Boutiques Etsy",
        connect: "Se connecter à Etsy",
        connectError: "Renseignez Keystring et Shared Secret avant de vous connecter",
    },
};

const section = (xmlid) => `.o_menu_sections [data-menu-xmlid="etsy_connector.${xmlid}"]`;
const menuItem = (xmlid) => `.dropdown-menu [data-menu-xmlid="etsy_connector.${xmlid}"]`;
const breadcrumb = (title) => `.o_breadcrumb .active:contains(${title})`;

function openMenu(parent, child, childLabel, actionTitle) {
    return [
        {
            content: `Open the ${parent} menu`,
            trigger: section(parent),
            run: "click",
        },
        {
            content: `Choose ${childLabel}`,
            trigger: `${menuItem(child)}:contains(${childLabel})`,
            run: "click",
        },
        {
            content: `${actionTitle} opens`,
            trigger: breadcrumb(actionTitle),
        },
    ];
}

function appSteps(t) {
    return [
        ...stepUtils.goToAppSteps("etsy_connector.menu_etsy_root", "Open the Etsy app"),
        {
            content: "The app opens on the shop dashboard",
            trigger: `${breadcrumb(t.dashboard)}`,
        },
        {
            content: "with a card per shop",
            trigger: `.o_etsy_dashboard .o_kanban_record:contains(${CONNECTED_SHOP}) .o_etsy_dashboard_syncs:contains(${t.ordersSynced})`,
        },
        {
            content: "The app's menus are in the user's language",
            trigger: `.o_menu_brand:contains(Etsy)`,
        },
        {
            trigger: `${section("menu_etsy_orders_top")}:contains(${t.orders})`,
        },
        {
            trigger: `${section("menu_etsy_catalog")}:contains(${t.listings})`,
        },
        {
            trigger: `${section("menu_etsy_sync_log")}:contains(${t.logs})`,
        },
        {
            trigger: `${section("menu_etsy_config")}:contains(${t.configuration})`,
        },
        ...openMenu("menu_etsy_orders_top", "menu_etsy_receipt_issue", t.receiptsToFix, t.receiptsToFixAction),
        ...openMenu("menu_etsy_catalog", "menu_etsy_listing", t.listings, t.listingsAction),
        ...openMenu("menu_etsy_catalog", "menu_etsy_product_to_link", t.toLink, t.toLinkAction),
        {
            content: "Open the sync logs",
            trigger: section("menu_etsy_sync_log"),
            run: "click",
        },
        {
            content: "The run's message is in the language of who started it",
            trigger: `${breadcrumb(t.logsAction)}`,
        },
        {
            trigger: `.o_data_row:contains(${t.logMessage})`,
        },
        ...openMenu("menu_etsy_config", "menu_etsy_shop", t.shops, t.shopsAction),
        {
            content: "Open the new shop",
            trigger: `.o_data_row .o_data_cell:contains(${NEW_SHOP})`,
            run: "click",
        },
        {
            content: "Connect it before its app's credentials are filled in",
            trigger: `.o_form_view button[name=action_connect]:contains(${t.connect})`,
            run: "click",
        },
        {
            content: "Odoo says, in the user's language, what to fill in",
            trigger: `.modal .modal-body:contains(${t.connectError})`,
        },
        {
            content: "Close the message",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The shop form stays open",
            trigger: `.o_form_view:not(:has(.modal)) .o_field_widget[name=name] input`,
        },
    ];
}

for (const [lang, labels] of Object.entries(LABELS)) {
    registry.category("web_tour.tours").add(`etsy_app_from_home_menu_${lang}`, {
        steps: () => appSteps(labels),
    });
}
