"""Serving the sandbox over real HTTP from a background thread (tests, benchmarks, demos)."""

import threading

from werkzeug.serving import WSGIRequestHandler, make_server


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without the per-request access log line."""

    def log_request(self, code="-", size="-"):
        """Stay silent: test and benchmark output should not carry one line per call."""


class SandboxServer:
    """A threaded werkzeug server on 127.0.0.1; `.url`, `.port`, `.stop()`, context manager."""

    def __init__(self, app, host="127.0.0.1", port=0, quiet=True):
        handler = QuietRequestHandler if quiet else WSGIRequestHandler
        self._server = make_server(host, port, app, threaded=True, request_handler=handler)
        self.host = host
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            args=(0.05,),
            name=f"etsy-sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self):
        """Stop accepting requests and wait for the serving thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def serve_forever(self):
        """Block until interrupted (used by `python -m etsy_sandbox`)."""
        self._thread.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()
