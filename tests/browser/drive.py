#!/usr/bin/env python3
"""Open a page in headless Chromium over the DevTools protocol, run steps, report.

    drive.py PAGE.html SCREENSHOT.png STEPS.json

STEPS.json is a list of {"name": ..., "eval": JS expression}; each expression
is evaluated in the page in order (awaiting promises) and its value recorded.
Prints one JSON object: {"results": {name: value}, "errors": [...],
"dialogs": [...]} — errors are console errors, uncaught exceptions and
browser log errors (a Content-Security-Policy violation among them); dialogs
are the alert/confirm/prompt boxes the page opened (each is dismissed).
The screenshot is of the whole page up to SCREENSHOT_HEIGHT pixels (6000).
Exit status 0 when the page could be driven, 2 otherwise.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1200,900",
    "--remote-debugging-port=0",
]


class Page:
    def __init__(self, url):
        self.ws = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events = []

    def send(self, method, params=None):
        self.next_id += 1
        me = self.next_id
        self.ws.send(json.dumps({"id": me, "method": method, "params": params or {}}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == me:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.event(message)

    def event(self, message):
        self.events.append(message)
        if message.get("method") == "Page.javascriptDialogOpening":
            # Answer on a fresh id without waiting: the dialog blocks the page.
            self.next_id += 1
            self.ws.send(json.dumps({
                "id": self.next_id,
                "method": "Page.handleJavaScriptDialog",
                "params": {"accept": False},
            }))

    def wait_for(self, method, seconds=30):
        end = time.time() + seconds
        for m in self.events:
            if m.get("method") == method:
                return m
        while time.time() < end:
            message = json.loads(self.ws.recv())
            if "method" in message:
                self.event(message)
                if message["method"] == method:
                    return message
        raise RuntimeError(f"timed out waiting for {method}")


def launch(chromium, profile):
    process = subprocess.Popen(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port_file = os.path.join(profile, "DevToolsActivePort")
    end = time.time() + 60
    while time.time() < end:
        if os.path.exists(port_file):
            with open(port_file) as f:
                lines = f.read().split("\n")
            if lines and lines[0].strip():
                return process, int(lines[0])
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with {process.returncode}")
        time.sleep(0.1)
    raise RuntimeError("chromium did not open its debugging port")


def page_target(port):
    end = time.time() + 30
    while time.time() < end:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as r:
            for target in json.load(r):
                if target.get("type") == "page":
                    return target["webSocketDebuggerUrl"]
        time.sleep(0.1)
    raise RuntimeError("no page target")


def problems(events):
    out = []
    for m in events:
        method, params = m.get("method"), m.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            out.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            out.append("exception: " + str(d.get("exception", {}).get("description", d.get("text"))))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            out.append("log: " + params["entry"].get("text", ""))
    return out


def main():
    html, screenshot, steps_file = sys.argv[1:4]
    with open(steps_file) as f:
        steps = json.load(f)
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    profile = tempfile.mkdtemp(prefix="scorecard-chromium-")
    process = None
    try:
        process, port = launch(chromium, profile)
        page = Page(page_target(port))
        for domain in ("Page", "Runtime", "Log"):
            page.send(f"{domain}.enable")
        page.send("Page.navigate", {"url": "file://" + os.path.abspath(html)})
        page.wait_for("Page.loadEventFired")
        results = {}
        for step in steps:
            r = page.send("Runtime.evaluate", {
                "expression": step["eval"],
                "returnByValue": True,
                "awaitPromise": True,
            })
            if "exceptionDetails" in r:
                results[step["name"]] = {"exception": r["exceptionDetails"].get("text")}
            else:
                results[step["name"]] = r.get("result", {}).get("value")
        metrics = page.send("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize", metrics.get("contentSize"))
        shot = page.send("Page.captureScreenshot", {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"],
                     "height": min(size["height"], int(os.environ.get("SCREENSHOT_HEIGHT", "6000"))),
                     "scale": 1},
        })
        os.makedirs(os.path.dirname(os.path.abspath(screenshot)), exist_ok=True)
        with open(screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        # Let late events (a dialog, a log entry) arrive.
        page.send("Runtime.evaluate", {"expression": "new Promise(r => setTimeout(r, 200))", "awaitPromise": True})
        dialogs = [m["params"].get("message") for m in page.events
                   if m.get("method") == "Page.javascriptDialogOpening"]
        print(json.dumps({"results": results, "errors": problems(page.events), "dialogs": dialogs}))
        return 0
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # a driver failure, not a page failure
        print(f"drive.py: {e}", file=sys.stderr)
        sys.exit(2)
