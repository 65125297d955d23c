"""Helpers of the server tests: start `host-sim serve` on a free loopback port, stop
it, read its memory, and build LTX-2 API prompts for the tiny model."""
import atexit
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request


def _die_with_parent():
    """The server gets SIGTERM when the test process dies, however it dies."""
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


class Server:
    """host-sim serve --listen 127.0.0.1:0; the bound port is read from its first line."""

    def __init__(self, host_sim, work, models, input_dir, extra=()):
        os.makedirs(work, exist_ok=True)
        self.out = os.path.join(work, "output")
        self.input = input_dir
        self.log_path = os.path.join(work, "serve.log")
        self.log = open(self.log_path, "w")
        args = [host_sim, "serve", "--listen", "127.0.0.1:0", "--models", models, "--input", input_dir,
                "--output", self.out, "--temp", os.path.join(work, "temp"), "--device", "cpu", *extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     preexec_fn=_die_with_parent)
        atexit.register(self._kill)  # a failed check leaves no server behind
        line = self.proc.stdout.readline()
        if "listening on " not in line:
            self.proc.wait(30)
            fail(f"host-sim serve did not start (exit {self.proc.returncode}): {line!r}; log:\n" + self.read_log())
        self.url = line.strip().split("listening on ", 1)[1]
        self.port = int(self.url.rsplit(":", 1)[1])

    def _kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def read_log(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=60) as r:
            return r.status, r.read()

    def get_json(self, path):
        status, body = self.get(path)
        return json.loads(body)

    def wait_idle(self, limit_s=600):
        """Until the queue is empty (a bound on the wait, not a timing assertion)."""
        end = time.monotonic() + limit_s
        while time.monotonic() < end:
            q = self.get_json("/queue")
            if not q["queue_running"] and not q["queue_pending"]:
                return
            time.sleep(0.2)
        fail("the queue did not drain")

    def stop(self):
        """SIGTERM: the server cancels what runs and exits 0."""
        check(self.alive(), "the server died; log:\n" + self.read_log())
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("the server did not stop on SIGTERM")
        self.proc.stdout.close()
        check(rc == 0, f"host-sim serve exited {rc}; log:\n" + self.read_log())


def t2v_prompt(graph_path, width, height, frames, seed, prefix):
    """The T2V distilled graph of tests/comfy with file names relative to --models
    (as ComfyUI's combos give them), small sizes, and a title on every node."""
    with open(graph_path) as f:
        text = f.read()
    for kind in ("checkpoints", "text_encoders", "latent_upscale_models", "loras"):
        text = text.replace("${MODELS}/" + kind + "/", "")
    for name, value in (("WIDTH", width), ("HEIGHT", height), ("FRAMES", frames), ("FPS", 24), ("SEED", seed)):
        text = text.replace('"${%s}"' % name, str(value))
    text = text.replace("${OUT}/t2v_distilled", prefix)
    prompt = json.loads(text)
    for node_id, node in prompt.items():
        node.setdefault("_meta", {})["title"] = node["class_type"] + " " + node_id
    save = [k for k, n in prompt.items() if n["class_type"] == "SaveVideo"][0]
    prompt[save]["_meta"]["title"] = "Save Video"
    return prompt


def delay_prompt(seconds, path, value=1):
    """LTX2Delay (cancellable, reports progress) feeding LTX2SaveText."""
    return {
        "1": {"class_type": "PrimitiveInt", "inputs": {"value": value}, "_meta": {"title": "Value"}},
        "2": {"class_type": "LTX2Delay", "inputs": {"seconds": seconds, "value": ["1", 0]}, "_meta": {"title": "Delay"}},
        "3": {"class_type": "LTX2SaveText", "inputs": {"value": ["2", 0], "path": path}, "_meta": {"title": "Save"}},
    }
