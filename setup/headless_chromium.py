"""Headless Chromium driven over the DevTools protocol, as Odoo's own browser tests do
(odoo/tests/common.py, ChromeBrowser): launched with a throw-away profile and
--remote-debugging-port, one page driven over a websocket. Enough for screenshots: navigate,
run a script, wait for a CSS selector, capture the viewport.
"""

import base64
import ctypes
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import requests
import websocket

# The browsers Odoo's tests look for on Linux, in its order; CHROME_BIN first when set.
BROWSERS = ("google-chrome", "chromium", "chromium-browser", "google-chrome-stable")


class BrowserError(RuntimeError):
    """The browser could not be started or did not do what it was asked."""


def find_browser():
    for name in filter(None, (os.environ.get("CHROME_BIN"), *BROWSERS)):
        path = shutil.which(name)
        if path:
            return path
    raise BrowserError("no Chromium or Chrome found (looked for CHROME_BIN, "
                       + ", ".join(BROWSERS) + "); ./setup/install installs chromium")


def _die_with_parent():
    """Linux: the browser gets SIGTERM when the process that started it dies, however it dies
    (a killed script must not leave a browser behind)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: stop() still ends it


class HeadlessChromium:
    """One headless browser with one page; use it as a context manager (it is always stopped)."""

    def __init__(self, width=1440, height=900):
        self.width, self.height = width, height
        self.profile = tempfile.mkdtemp(prefix="etsy_chromium_")
        self.process = None
        self.socket = None
        self.ids = itertools.count(1)

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc):
        self.stop()

    def _start(self):
        self.process = subprocess.Popen([
            find_browser(), "--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", "--disable-extensions", "--no-first-run",
            "--no-default-browser-check", "--disable-background-networking",
            "--hide-scrollbars", "--force-device-scale-factor=1",
            f"--window-size={self.width},{self.height}", f"--user-data-dir={self.profile}",
            "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank",
        ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent)  # noqa: PLW1509 - the scripts run no thread
        port = self._devtools_port()
        pages = [target for target in requests.get(f"http://127.0.0.1:{port}/json/list",
                                                    timeout=10).json()
                 if target["type"] == "page"]
        if not pages:
            raise BrowserError("the browser opened no page")
        # Chromium refuses websockets sent with an Origin header it does not know.
        self.socket = websocket.create_connection(pages[0]["webSocketDebuggerUrl"],
                                                  suppress_origin=True, timeout=60)
        self.send("Page.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height,
                  deviceScaleFactor=1, mobile=False)

    def _devtools_port(self, seconds=20):
        """The port Chromium chose: it writes it to DevToolsActivePort in its profile."""
        path = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrowserError(f"the browser stopped at start (exit {self.process.returncode})")
            if os.path.exists(path):
                with open(path, encoding="utf-8") as file:
                    first = file.readline().strip()
                if first:
                    return int(first)
            time.sleep(0.1)
        raise BrowserError(f"the browser gave no DevTools port within {seconds} s")

    def stop(self):
        if self.socket:
            self.socket.close()
            self.socket = None
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    # --- the protocol --- #

    def send(self, method, **params):
        """Send one command and return its result (events meanwhile are not needed here)."""
        call_id = next(self.ids)
        self.socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") != call_id:
                continue
            if "error" in message:
                raise BrowserError(f"{method}: {message['error'].get('message')}")
            return message.get("result", {})

    def evaluate(self, expression):
        """The value of a JavaScript expression in the page (promises are awaited)."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise BrowserError(details.get("exception", {}).get("description")
                               or details.get("text"))
        return result["result"].get("value")

    def navigate(self, url):
        answer = self.send("Page.navigate", url=url)
        if answer.get("errorText"):
            raise BrowserError(f"{url}: {answer['errorText']}")

    def wait_for(self, expression, seconds):
        """Poll a JavaScript expression until it is true; False when the time is out."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if self.evaluate(expression):
                    return True
            except BrowserError:
                pass  # the page is being replaced (navigation): ask again
            time.sleep(0.25)
        return False

    def screenshot(self):
        """The viewport as PNG bytes."""
        answer = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=False)
        return base64.b64decode(answer["data"])
