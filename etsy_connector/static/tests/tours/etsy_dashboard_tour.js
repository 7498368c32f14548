import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// Data comes from tests/test_dashboard_tour.py: a sandbox Etsy on 127.0.0.1 that approves the
// OAuth consent at once, and the shop defaults pointing at it.
const SHOP = "Etsy Tour Shop";
const card = `.o_kanban_record:contains(${SHOP})`;

registry.category("web_tour.tours").add("etsy_dashboard_connect", {
    steps: () => [
        {
            content: "Add a shop from the dashboard",
            trigger: ".o_etsy_dashboard .o-kanban-button-new, .o-kanban-button-new",
            run: "click",
        },
        {
            content: "Name it",
            trigger: ".o_field_widget[name=name] input",
            run: `edit ${SHOP}`,
        },
        {
            content: "Paste the Keystring of the Etsy app",
            trigger: ".o_field_widget[name=keystring] input",
            run: "edit wbw0sandbox0keystring001",
        },
        {
            content: "Paste the Shared Secret",
            trigger: ".o_field_widget[name=shared_secret] input",
            run: "edit s4ndb0xsec",
        },
        ...stepUtils.saveForm(),
        {
            content: "Connect to Etsy (the sandbox approves and sends the browser back)",
            trigger: "button[name=action_connect]:contains(Connect to Etsy)",
            run: "click",
        },
        {
            content: "Back on the shop form, connected",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Connected)",
        },
        {
            content: "The shop knows its Etsy name",
            trigger: ".o_field_widget[name=etsy_shop_name]:contains(WicksByWerby)",
        },
        {
            content: "Sync now",
            trigger: "button[name=action_sync_orders]",
            run: "click",
        },
        {
            content: "Odoo says the sync started in the background",
            trigger: ".o_notification:contains(started in the background)",
        },
    ],
});

registry.category("web_tour.tours").add("etsy_dashboard_orders", {
    steps: () => [
        {
            content: "The dashboard card shows the shop connected",
            trigger: `${card} .o_field_widget[name=state]:contains(Connected)`,
        },
        {
            content: "It counts today's Etsy order",
            trigger: `${card} .o_etsy_orders_today:contains(1)`,
        },
        {
            content: "It shows when orders were last synced",
            trigger: `${card} .o_etsy_dashboard_syncs:contains(Orders synced just now)`,
        },
        {
            content: "Open the shop's orders in Sales",
            trigger: `${card} button[name=action_view_related]:contains(Orders)`,
            run: "click",
        },
        {
            content: "The newest order is the Etsy sale",
            trigger: ".o_list_view .o_data_row:first .o_data_cell:first",
            run: "click",
        },
        {
            content: "It holds the Etsy item (no Odoo product has its SKU yet: to link)",
            trigger: ".o_field_widget[name=order_line] .o_data_row:contains(Etsy item to link)",
        },
        {
            content: "Open its Etsy tab",
            trigger: ".o_notebook .nav-link:contains(Etsy)",
            run: "click",
        },
        {
            content: "It carries the Etsy receipt number",
            trigger: ".o_field_widget[name=etsy_receipt_id]:not(:empty)",
        },
    ],
});

// Data comes from TestDashboardTour.test_the_card_follows_a_long_run: a listing import going on
// (1,200 of 5,000 listings), which moves to 2,400 once the card has shown it.
const running = ".o_kanban_record:contains(Etsy Progress Shop)";

registry.category("web_tour.tours").add("etsy_dashboard_progress", {
    steps: () => [
        {
            content: "The card shows what runs and how far it is",
            trigger: `${running} .o_etsy_dashboard_run:contains(Importing listings: 1,200 of 5,000)`,
        },
        {
            content: "It follows the run without a reload",
            trigger: `${running} .o_etsy_dashboard_run:contains(Importing listings: 2,400 of 5,000)`,
        },
        {
            content: "Open the shop's sync logs",
            trigger: `${running} button[name=action_view_related]:contains(Logs)`,
            run: "click",
        },
        {
            content: "The running log shows its progress in the list",
            trigger: ".o_data_row .o_etsy_run_progress:contains(2,400 of 5,000 listings)",
            run: "click",
        },
        {
            content: "And on its form, with the bar",
            trigger: ".o_form_view .o_etsy_run_progress:contains(2,400 of 5,000 listings) .progress-bar[style*='width: 48%']",
        },
    ],
});
