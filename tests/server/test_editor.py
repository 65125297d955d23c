"""Editor test: ComfyUI's own frontend (comfyui-frontend-package, pinned) served by
host-sim serve --front-end-root, opened in Debian's headless Chromium through
Playwright (pinned; Chromium from Debian, no browser download). The page loads a
UI-format LTX-2 T2V workflow into the canvas, the Run button queues it, and the test
checks the MP4 it produced and that the page logged no error. The screenshot of the
graph is kept in WORK_DIR (and attached to the ctest result).
Usage: test_editor.py HOST_SIM CHECK_VIDEO TINY_DIR WORK_DIR WORKFLOW"""
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import comfyui_frontend_package
from playwright.sync_api import sync_playwright

from server_util import Server, check, fail

host_sim, check_video, tiny, work, workflow_path = sys.argv[1:6]
chromium = os.environ.get("LTX2_CHROMIUM", "/usr/bin/chromium")
if not os.access(chromium, os.X_OK):
    fail(f"no Chromium at {chromium} (Debian package chromium; scripts/install-deps.sh installs it)")
front = os.path.join(os.path.dirname(comfyui_frontend_package.__file__), "static")
shutil.rmtree(work, ignore_errors=True)
srv = Server(host_sim, work, os.path.join(tiny, "models"), os.path.join(tiny, "input"), ["--front-end-root", front])
with open(workflow_path) as f:
    workflow = json.load(f)
save_id = str([n for n in workflow["nodes"] if n["type"] == "SaveVideo"][0]["id"])

errors, failed_requests = [], []


def is_local(url):
    return urllib.parse.urlparse(url).hostname in ("127.0.0.1", "localhost")


def on_console(msg):
    if msg.type != "error":
        return
    url = (msg.location or {}).get("url", "")
    # The frontend asks api.comfy.org for release notes (no network here), and a
    # user's own templates file that ComfyUI also answers 404 when absent.
    if msg.text.startswith("Failed to load resource") and (
            not is_local(url) or url.endswith("/api/userdata/comfy.templates.json")):
        return
    errors.append(f"console.error: {msg.text} ({url})")


def official_workflow():
    """ComfyUI-LTXVideo's T2V distilled workflow, from LTX2_COMFY_WORKFLOWS or the
    fetched mirror (as tests/comfy reads it); None when neither is at hand."""
    name = "LTX-2_T2V_Distilled_wLora.json"
    folder = os.environ.get("LTX2_COMFY_WORKFLOWS")
    if folder and os.path.exists(os.path.join(folder, name)):
        with open(os.path.join(folder, name)) as f:
            return json.load(f)
    mirror = os.environ.get("LTX2_COMFY_MIRROR", "/work/.mirror/Lightricks+ComfyUI-LTXVideo/repo")
    r = subprocess.run(["git", "--git-dir", mirror, "show", "HEAD:example_workflows/2.0/" + name],
                       capture_output=True, text=True)
    return json.loads(r.stdout) if r.returncode == 0 else None


def run_official(page, wf):
    """The official workflow, unchanged (its Gemma prompt enhancer included), is queued
    from the editor: the server accepts what the frontend made of it (every class known,
    every file in its folder) and it starts; it is interrupted once running (1920x1088,
    121 frames takes minutes here)."""
    before = set(srv.get_json("/history"))
    page.evaluate("wf => window.app.loadGraphData(wf, true, true, 'official')", wf)
    enhancers = page.evaluate("window.app.graph.nodes.filter(n => n.type === 'LTXVGemmaEnhancePrompt' && !n.mode)"
                              ".length")
    check(enhancers > 0, "the official workflow has no active LTXVGemmaEnhancePrompt")
    page.get_by_role("button", name="Run", exact=True).first.click()
    end, pid = time.monotonic() + 300, None
    while time.monotonic() < end and not pid:  # its first events: validation passed, it runs
        new = set(srv.get_json("/history")) - before
        pid = next(iter(new), None)
        time.sleep(0.2)
    check(pid, "the official workflow did not start; log:\n" + srv.read_log())
    urllib.request.urlopen(urllib.request.Request(srv.url + "/interrupt", data=b"{}", method="POST"), timeout=60)
    srv.wait_idle()
    msgs = [m[0] for m in srv.get_json("/history/" + pid)[pid]["status"]["messages"]]
    check("execution_interrupted" in msgs and "execution_error" not in msgs, f"official workflow: {msgs}")
    print("official workflow: accepted from the editor, started, interrupted")


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium, headless=True,
                                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.on("console", on_console)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: failed_requests.append(r.url) if is_local(r.url) else None)
    page.on("response", lambda r: errors.append(f"HTTP {r.status} {r.url}")
            if r.status >= 400 and is_local(r.url) and not r.url.endswith("/api/userdata/comfy.templates.json") else None)
    page.goto(srv.url + "/", timeout=120000)
    page.wait_for_function("window.app && window.app.graph && window.LiteGraph && "
                           "'SaveVideo' in window.LiteGraph.registered_node_types", timeout=120000)
    page.keyboard.press("Escape")  # the first-start templates dialog
    page.evaluate("wf => window.app.loadGraphData(wf, true, true, 'ltx2-t2v')", workflow)
    n_nodes = page.evaluate("window.app.graph.nodes.length")
    check(n_nodes == len(workflow["nodes"]), f"the canvas has {n_nodes} nodes, the workflow {len(workflow['nodes'])}")
    missing = page.evaluate("window.app.graph.nodes.filter(n => n.has_errors || n.type === undefined).map(n => n.type)")
    check(not missing, f"nodes the editor could not make: {missing}")
    # the whole graph in view for the screenshot (the editor's "." shortcut, on the canvas)
    page.mouse.click(800, 980)
    page.keyboard.press(".")
    page.wait_for_timeout(800)
    page.screenshot(path=os.path.join(work, "graph.png"))
    run = page.get_by_role("button", name="Run", exact=True)
    if run.count():
        run.first.click()
    else:  # a frontend without that button: its queue command
        page.evaluate("window.app.queuePrompt(0, 1)")
    # wait for the prompt to appear in /history and finish (a bound, not a timing test)
    end, hist = time.monotonic() + 540, {}
    while time.monotonic() < end:
        hist = srv.get_json("/history")
        if hist and all(h["status"]["status_str"] != "running" for h in hist.values()) and not srv.get_json("/queue")["queue_pending"]:
            break
        time.sleep(0.5)
    check(len(hist) == 1, f"the editor queued {len(hist)} prompts: {list(hist)}")
    h = list(hist.values())[0]
    check(h["status"]["status_str"] == "success", f"the run failed: {json.dumps(h['status'])[:2000]}\n" + srv.read_log())
    check(h["prompt"][3].get("extra_pnginfo", {}).get("workflow"), "the editor did not send its workflow in extra_data")
    video = h["outputs"][save_id]["images"][0]
    # the editor shows the result: wait until it fetched the file through /view
    page.wait_for_timeout(1500)
    page.screenshot(path=os.path.join(work, "graph_after_run.png"))
    official = official_workflow()
    if official:
        run_official(page, official)
    else:
        print("official workflow: skipped (no LTX2_COMFY_WORKFLOWS and no ComfyUI-LTXVideo mirror)")
    browser.close()

mp4 = os.path.join(srv.out, video["subfolder"], video["filename"])
frames = [n for n in workflow["nodes"] if n["type"] == "PrimitiveInt"][0]["widgets_values"][0]
size = [n for n in workflow["nodes"] if n["type"] == "EmptyImage"][0]["widgets_values"][:2]
audio_s = (4 * -(-frames * 25 // 24) - 3) / 100.0
r = subprocess.run([check_video, mp4, str(frames), str(size[0]), str(size[1]), "24", "2", f"{audio_s:.2f}"],
                   capture_output=True, text=True)
print(r.stdout.strip())
check(r.returncode == 0, "check_video: " + r.stderr)
check(not failed_requests, f"requests to the server failed: {failed_requests}")
check(not errors, "the page logged errors:\n" + "\n".join(errors))
srv.stop()
print("screenshot: " + os.path.join(work, "graph.png"))
print("server editor: ok")
