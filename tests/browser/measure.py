"""Loads an HTML file in headless Chromium at a 1280 px window and prints, as JSON, what
tests/hostile.rs and tests/compare.rs check: the page's scroll width, the script elements, the
title, the body text, and each grid cell's text with the background Chromium draws it on. Talks to Chromium over --remote-debugging-pipe (the DevTools protocol on fds 3 and 4),
so it needs nothing beyond the Python standard library.

Usage: measure.py CHROMIUM FILE"""

import fcntl
import json
import os
import subprocess
import sys
import tempfile


def main() -> None:
    chromium, page = sys.argv[1], os.path.abspath(sys.argv[2])
    to_browser_read, to_browser_write = os.pipe()
    from_browser_read, from_browser_write = os.pipe()

    def child_fds() -> None:
        # Through free numbers above 10 first, so neither pipe end is overwritten on its way.
        reading = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
        writing = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
        os.dup2(reading, 3)
        os.dup2(writing, 4)

    # Chromium may still be writing its profile as it exits; what it leaves is not ours to judge.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        browser = subprocess.Popen(
            [
                chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", f"--user-data-dir={profile}", "--window-size=1280,800",
                "--remote-debugging-pipe", "about:blank",
            ],
            # The pipes go to fds 3 and 4 after the fork; closing fds would close them again.
            close_fds=False,
            preexec_fn=child_fds,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        sender = os.fdopen(to_browser_write, "wb")
        receiver = os.fdopen(from_browser_read, "rb")
        pending = b""
        next_id = 0

        def call(method: str, params: dict, session: str | None = None) -> dict:
            nonlocal pending, next_id
            next_id += 1
            message = {"id": next_id, "method": method, "params": params}
            if session:
                message["sessionId"] = session
            sender.write(json.dumps(message).encode() + b"\0")
            sender.flush()
            while True:
                while b"\0" not in pending:
                    chunk = receiver.read1(65536)
                    if not chunk:
                        raise SystemExit("chromium closed the DevTools pipe")
                    pending += chunk
                raw, pending = pending.split(b"\0", 1)
                answer = json.loads(raw)
                if answer.get("id") == next_id:
                    if "error" in answer:
                        raise SystemExit(f"{method}: {answer['error']}")
                    return answer["result"]

        try:
            target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            call("Page.enable", {}, session)
            call("Emulation.setDeviceMetricsOverride",
                 {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False}, session)
            call("Page.navigate", {"url": "file://" + page}, session)
            measured = None
            # Poll until the document has loaded (no page script exists to tell us).
            for _ in range(100):
                state = call("Runtime.evaluate", {"expression": "document.readyState", "returnByValue": True}, session)
                if state["result"].get("value") == "complete":
                    expression = """JSON.stringify({
                        scroll_width: document.documentElement.scrollWidth,
                        client_width: document.documentElement.clientWidth,
                        scripts: document.getElementsByTagName('script').length,
                        title: document.title,
                        text: document.body.innerText,
                        rule_texts: document.querySelectorAll('.rule-text').length,
                        raw_backticks_in_rule_texts: [...document.querySelectorAll('.rule-text')]
                            .filter(node => node.textContent.includes('`')).length,
                        cells: [...document.querySelectorAll('td.cell')]
                            .map(cell => [cell.innerText.trim(), getComputedStyle(cell).backgroundColor])
                    })"""
                    result = call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
                    measured = json.loads(result["result"]["value"])
                    break
                call("Runtime.evaluate", {"expression": "new Promise(r => setTimeout(r, 50))", "awaitPromise": True}, session)
            if measured is None:
                raise SystemExit("the page did not finish loading")
            print(json.dumps(measured))
        finally:
            browser.kill()
            browser.wait()


if __name__ == "__main__":
    main()
