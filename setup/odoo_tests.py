"""Run odoo-bin's server command and print a one-line summary of the Odoo test results.

Odoo logs no "N passed, N failed" line (only per-module stats), so this wrapper runs the
normal server entry point with the given arguments, then reads the registry's assertion
report. Usage: python setup/odoo_tests.py <odoo source root> <odoo-bin arguments...>
"""

import sys


def main(argv):
    odoo_src, args = argv[0], argv[1:]
    sys.path.insert(0, odoo_src)
    import odoo
    from odoo.cli.server import main as server_main
    from odoo.modules.registry import Registry

    rc = 0
    try:
        server_main(args)
    except SystemExit as exc:
        rc = exc.code or 0
    db_name = odoo.tools.config["db_name"]
    registry = Registry.registries.get(db_name)
    report = registry and registry._assertion_report
    if report is not None and report.testsRun:
        failed = report.failures_count + report.errors_count
        skipped = len(report.skipped) if isinstance(report.skipped, list) else report.skipped
        passed = report.testsRun - failed - skipped
        print(f"odoo: {passed} passed, {failed} failed, {skipped} skipped", flush=True)
    elif odoo.tools.config["test_enable"]:
        print("odoo: 0 passed, 0 failed (no Odoo test ran)", flush=True)
        rc = rc or 1
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
