import { Component, useEffect } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

// How often a view showing a run that goes on reads it again (milliseconds).
export const REFRESH_INTERVAL = 4000;

/**
 * How far a sync run is: a bar and a text such as "Importing listings: 1,200 of 5,000".
 *
 * The field is the text, empty when nothing runs; `percent_field` names the field holding the
 * share done (0: not known yet, the bar then only says "working"). While the text is set, the
 * record is read again every few seconds: the run writes its progress on transactions of its
 * own at each batch, and nothing pushes it to the browser.
 */
export class EtsyRunProgressField extends Component {
    static template = "etsy_connector.RunProgressField";
    static props = {
        ...standardFieldProps,
        percentField: { type: String, optional: true },
    };

    setup() {
        useEffect(
            (text) => {
                if (!text) {
                    return;
                }
                const timer = setInterval(() => this.props.record.load(), REFRESH_INTERVAL);
                return () => clearInterval(timer);
            },
            () => [this.text]
        );
    }

    get text() {
        return this.props.record.data[this.props.name] || "";
    }

    get percent() {
        const value = this.props.percentField && this.props.record.data[this.props.percentField];
        return Math.min(100, Math.max(0, Math.round(value || 0)));
    }
}

export const etsyRunProgressField = {
    component: EtsyRunProgressField,
    supportedTypes: ["char"],
    extractProps: ({ options }) => ({ percentField: options.percent_field }),
};

registry.category("fields").add("etsy_run_progress", etsyRunProgressField);
