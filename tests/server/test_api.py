"""API test: a third-party ComfyUI client from PyPI (comfy-api-simplified, pinned)
drives host-sim serve: an LTX-2 T2V graph on the tiny model queued, its progress
followed on the websocket, the MP4 fetched through /view and decoded back; a second
prompt interrupted mid-run; /history, /queue and validation errors checked.
Usage: test_api.py HOST_SIM CHECK_VIDEO TINY_DIR WORK_DIR GRAPH"""
import asyncio
import json
import os
import shutil
import subprocess
import sys
import uuid

import requests
import websockets
from comfy_api_simplified import ComfyApiWrapper, ComfyWorkflowWrapper
from comfy_api_simplified.exceptions import ComfyApiError

from server_util import Server, check, delay_prompt, fail, t2v_prompt

host_sim, check_video, tiny, work, graph = sys.argv[1:6]
shutil.rmtree(work, ignore_errors=True)
srv = Server(host_sim, work, os.path.join(tiny, "models"), os.path.join(tiny, "input"))
api = ComfyApiWrapper(srv.url)

# object_info through the client: file inputs are combos of the folders' files
info = api.get_object_info("CheckpointLoaderSimple")["CheckpointLoaderSimple"]
ckpts = info["input"]["required"]["ckpt_name"][1]["options"]
check("ltx-2-19b-distilled.safetensors" in ckpts, f"checkpoint combo lacks the tiny checkpoint: {ckpts}")
load_image = api.get_object_info("LoadImage")["LoadImage"]["input"]["required"]["image"]
check(load_image[1].get("image_upload") is True, f"LoadImage has no image_upload: {load_image}")
check(api.get_system_stats()["devices"], "system_stats has no device")
check(api.get_embeddings() == [], "embeddings")

# 1. T2V on the tiny model, followed on our own websocket client of the same client id
W, H, F = 256, 192, 9
prompt = t2v_prompt(graph, W, H, F, 7, "video/t2v")


async def follow(client_id, prompt, on_message=None):
    """Connects, queues, and collects messages until this prompt ends."""
    msgs = []
    async with websockets.connect(f"ws://127.0.0.1:{srv.port}/ws?clientId={client_id}", max_size=None) as ws:
        first = json.loads(await asyncio.wait_for(ws.recv(), 60))
        check(first["type"] == "status" and first["data"]["sid"] == client_id, f"first message {first}")
        pid = api.queue_prompt(prompt, client_id)["prompt_id"]
        while True:
            m = json.loads(await asyncio.wait_for(ws.recv(), 600))
            if m["type"] == "status" or m["data"].get("prompt_id") != pid:
                continue
            msgs.append(m)
            if on_message:
                await on_message(m, pid)
            if m["type"] in ("execution_success", "execution_error", "execution_interrupted"):
                return pid, msgs


cid = str(uuid.uuid4())
pid, msgs = asyncio.run(follow(cid, prompt))
types = [m["type"] for m in msgs]
print("t2v messages:", len(msgs), sorted(set(types)))
check(types[-1] == "execution_success", f"the T2V prompt did not succeed: {msgs[-3:]}")
check(types[0] == "execution_start" and types[1] == "execution_cached", f"start order {types[:3]}")
executing = [m["data"]["node"] for m in msgs if m["type"] == "executing"]
check(executing[-1] is None and len(executing) - 1 == len([n for n in prompt]), f"executing: {executing}")
check(any(m["type"] == "progress" and m["data"]["node"] for m in msgs), "no progress message")
executed = [m for m in msgs if m["type"] == "executed"]
check(len(executed) == 1 and executed[0]["data"]["node"] == "5075", f"executed: {executed}")
video = executed[0]["data"]["output"]["images"][0]
check(video["subfolder"] == "video" and video["type"] == "output", f"output entry {video}")

# the MP4 through /view, as the client fetches it, decoded back
data = api.get_image(video["filename"], video["subfolder"], video["type"])
check(data[4:8] == b"ftyp", "the /view download is not an MP4")
mp4 = os.path.join(work, "downloaded.mp4")
with open(mp4, "wb") as f:
    f.write(data)
with open(os.path.join(srv.out, "video", video["filename"]), "rb") as f:
    check(f.read() == data, "the download differs from the file written")
audio_s = (4 * -(-F * 25 // 24) - 3) / 100.0  # ceil(F/24*25) latent frames -> mel frames of 10 ms
r = subprocess.run([check_video, mp4, str(F), str(W), str(H), "24", "2", f"{audio_s:.2f}"], capture_output=True, text=True)
print(r.stdout.strip())
check(r.returncode == 0, "check_video: " + r.stderr)

# history of that prompt, as the client reads it
h = api.get_history(pid)[pid]
check(h["status"]["status_str"] == "success" and h["status"]["completed"], f"history status {h['status']}")
check(h["outputs"]["5075"]["images"][0]["filename"] == video["filename"], "history outputs")
check(h["prompt"][1] == pid and "5075" in h["prompt"][4], f"history prompt entry {h['prompt'][:2]}")

# the client's own flow: queue, wait on its websocket, read history, download via /view
files = api.queue_and_wait_images(ComfyWorkflowWrapper(t2v_prompt(graph, W, H, F, 8, "video/t2v_b")), "Save Video")
check(list(files) == ["t2v_b.mp4"] and files["t2v_b.mp4"][4:8] == b"ftyp", f"queue_and_wait_images: {list(files)}")

# 2. interrupt a second prompt mid-run (a 60 s delay stopped once it reports progress)
async def interrupt_when_running(m, pid):
    if m["type"] == "progress" and m["data"]["node"] == "2":
        await asyncio.to_thread(api.interrupt)


pid2, msgs2 = asyncio.run(follow(str(uuid.uuid4()), delay_prompt(60, "never.txt"), interrupt_when_running))
last = msgs2[-1]
check(last["type"] == "execution_interrupted" and last["data"]["node_id"] == "2", f"interrupt: {last}")
check(not os.path.exists(os.path.join(srv.out, "never.txt")), "the interrupted prompt wrote its output")
h2 = api.get_history(pid2)[pid2]
check(h2["status"]["status_str"] == "error" and not h2["status"]["completed"], f"interrupted status {h2['status']}")
check(any(m[0] == "execution_interrupted" for m in h2["status"]["messages"]), "history lacks the interrupt")

# 3. the whole history and the queue
hist = requests.get(srv.url + "/history").json()
check(pid in hist and pid2 in hist and len(hist) == 3, f"history has {list(hist)}")
check(list(requests.get(srv.url + "/api/history?max_items=1").json()) == [pid2], "max_items")
q = api.get_queue()
check(q == {"queue_running": [], "queue_pending": []}, f"queue not empty: {q}")

# 4. validation: every bad node in node_errors, HTTP 400; the client raises
bad = t2v_prompt(graph, W, H, F, 9, "video/bad")
bad["5232:5163"]["inputs"]["width"] = "wide"
bad["5228"]["inputs"]["ckpt_name"] = "missing.safetensors"
bad["5232:5182"]["class_type"] = "NoSuchNode"
r = requests.post(srv.url + "/prompt", json={"prompt": bad})
body = r.json()
check(r.status_code == 400 and body["error"]["type"] == "prompt_outputs_failed_validation", f"bad prompt: {r.status_code} {body}")
check({"5232:5163", "5228", "5232:5182"} <= set(body["node_errors"]), f"node_errors: {list(body['node_errors'])}")
check("5075" in body["node_errors"]["5228"]["dependent_outputs"], "dependent_outputs")
try:
    api.queue_prompt(bad)
    fail("the client accepted a bad prompt")
except ComfyApiError:
    pass
escape = delay_prompt(0, "/tmp/escape.txt")
r = requests.post(srv.url + "/api/prompt", json={"prompt": escape})
check(r.status_code == 400 and "3" in r.json()["node_errors"], f"absolute output path accepted: {r.text}")

srv.stop()
print("server api: ok")
