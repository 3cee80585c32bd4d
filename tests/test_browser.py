"""End to end in headless Chromium: notebook 02 in a real JupyterLab, driven like a reader would; and the
static report of a smoke run (build/report/<profile>/, see fairgap.report) opened from disk.

Starts JupyterLab on loopback with a temporary root, prepares a smoke-profile copy of notebook 02
there, opens it in Debian's Chromium (through Playwright), runs all cells from the Run menu, checks
that no error output appeared, moves the constraint-weight slider with the keyboard, and waits until
the explorer's image is redrawn. The redraw time (key press to new image, measured in the browser) is
printed and recorded as a test property, never asserted: the machine is shared and timings are noisy.

Needs /usr/bin/chromium (scripts/install_browser.sh, run by run_tests.sh, installs it) and the
``playwright`` Python package (the ``test`` extra). Playwright's own browser download is never used.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "02_constraint_strength.ipynb"
SERVER_START_S = 120      # JupyterLab answering on its port
RUN_ALL_S = 240           # every cell executed (imports torch, trains the smoke sweep)
REDRAW_S = 60             # the explorer's image replaced after the slider moved
# The smoke profile, with one seed instead of its two: the sweep is most of this test's time, and the
# full smoke sweep already runs headless in test_notebooks.py. Here the point is the page and the widgets.
PARAMETERS = {"profile": "smoke", "seeds": [0]}
ERROR_MIME = "application/vnd.jupyter.error"
STDERR_MIME = "application/vnd.jupyter.stderr"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                       reason=f"{CHROMIUM} not found: install Debian's chromium (scripts/install_browser.sh does, as root)"),
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(url: str, token: str, method: str = "GET", timeout: float = 5.0):
    req = urllib.request.Request(url, method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310 (loopback only)
        return response.status, response.read()


class JupyterLab:
    """A JupyterLab server on 127.0.0.1 in its own session; ``stop`` always ends it and its kernels."""

    def __init__(self, root: Path, home: Path, log: Path):
        self.root, self.log_path = root, log
        self.port, self.token = _free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # conftest sets Agg; the kernel must pick the inline backend
        for name, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                          ("JUPYTER_DATA_DIR", "data"),
                          ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"), ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                          ("IPYTHONDIR", "ipython")):
            (home / sub).mkdir(parents=True, exist_ok=True)
            env[name] = str(home / sub)
        # Render every cell (no virtual scrolling), so the DOM holds every output when we look for errors;
        # no news or update checks (no network here, and their toast would cover the page).
        settings = {("notebook-extension", "tracker"): {"windowingMode": "none"},
                    ("apputils-extension", "notification"): {"fetchNews": "false", "checkForUpdates": False}}
        for (extension, plugin), values in settings.items():
            path = home / "lab-settings" / "@jupyterlab" / extension / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
                   "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}",
                   "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                   "--LabApp.extension_manager=readonly"]
        self._log = open(log, "wb")
        self.process = subprocess.Popen(command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def log_tail(self, lines: int = 40) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if _request(f"{self.url}/api/status", self.token, timeout=2)[0] == 200:
                    return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"JupyterLab did not answer on {self.url} within {timeout:.0f} s:\n{self.log_tail()}")

    def wait_kernel_idle(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        states: list = []
        while time.monotonic() < deadline:
            try:
                states = [k.get("execution_state") for k in json.loads(_request(f"{self.url}/api/kernels", self.token)[1])]
            except (OSError, urllib.error.URLError, ValueError):
                states = []
            if states and all(state == "idle" for state in states):
                return
            time.sleep(0.5)
        raise TimeoutError(f"no idle kernel within {timeout:.0f} s (states {states}):\n{self.log_tail()}")

    def stop(self) -> None:
        """Shut the server down through its API (which ends its kernels), then by signal; bounded."""
        try:
            import psutil

            started = psutil.Process(self.process.pid).children(recursive=True)
        except Exception:  # psutil missing or the server already gone
            started = []
        if self.process.poll() is None:
            try:
                _request(f"{self.url}/api/shutdown", self.token, method="POST", timeout=5)
            except (OSError, urllib.error.URLError):
                pass
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            if self.process.poll() is None:
                try:
                    os.killpg(self.process.pid, sig)
                    self.process.wait(timeout=wait)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
        for child in started:  # kernels run in their own sessions: end exactly those this server started
            try:
                if child.is_running():
                    child.kill()
            except Exception:
                pass
        self._log.close()


def _prepare_notebook(root: Path, parameters: dict = PARAMETERS) -> Path:
    import papermill

    target = root / NOTEBOOK.name
    papermill.execute_notebook(str(NOTEBOOK), str(target), parameters=parameters, prepare_only=True,
                               progress_bar=False)
    injected = [c for c in json.loads(target.read_text())["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert injected and f'profile = "{parameters["profile"]}"' in "".join(injected[0]["source"]), \
        "papermill did not inject the parameters"
    return target


# Error outputs on the page: in the notebook, and in the Log Console once it is open. JupyterLab renders
# an error output (a traceback) with the stderr mime type, so a traceback on stderr counts as an error;
# plain stderr (tqdm bars, warnings) does not. A widget that failed to render counts too.
PROBLEMS_JS = """() => {
    const problems = [];
    const clip = (text) => text.length > 1600 ? text.slice(0, 400) + '\\n[...]\\n' + text.slice(-1200) : text;
    for (const el of document.querySelectorAll('.jp-OutputArea-output')) {
        const mime = el.getAttribute('data-mime-type') || '';
        const text = (el.innerText || '').trim();
        const where = el.closest('.jp-LogConsolePanel') ? 'log console' : 'notebook';
        if (mime === '%s') problems.push(where + ': error output: ' + clip(text));
        else if (mime === '%s' && /Traceback|^\\w*(Error|Exception)\\b.*:/m.test(text))
            problems.push(where + ': traceback on stderr: ' + clip(text));
        else if (/Error displaying widget|Failed to load model class/.test(text))
            problems.push(where + ': widget failed to render: ' + clip(text));
    }
    return problems;
}""" % (ERROR_MIME, STDERR_MIME)


def _output_problems(page) -> list[str]:
    return page.evaluate(f"({PROBLEMS_JS})()")


def _stderr_texts(page, scope: str) -> list[str]:
    return page.evaluate(
        """([scope, mime]) => [...document.querySelectorAll(`${scope} .jp-OutputArea-output[data-mime-type="${mime}"]`)]
                               .map(el => (el.innerText || '').trim().slice(0, 300))""",
        [scope, STDERR_MIME],
    )


def _menu(page, menu: str, command: str) -> None:
    """Click a main-menu item, as a reader does: ``menu`` ▸ the item that runs ``command``."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(rf"^{menu}$")).click()
    page.locator(f"#jp-mainmenu-{menu.lower()} .lm-Menu-item[data-command='{command}']").click()


def _saved_error_outputs(path: Path) -> list[str]:
    nb = json.loads(path.read_text())
    return [f"{o.get('ename')}: {o.get('evalue')}" for c in nb["cells"] if c["cell_type"] == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


def test_notebook_02_runs_in_jupyterlab_and_the_weight_slider_redraws(tmp_path, record_property):
    _notebook_02_in_jupyterlab(tmp_path, record_property, PARAMETERS, RUN_ALL_S)


# The fast way in (issue 37): the default profile's notebook 02 drawn from the committed figures/ (a copy), no
# training: its figure and explorer within 30 s of Run All.
COMMITTED_RUN_ALL_S = 30


def test_notebook_02_from_the_committed_results_draws_and_redraws_within_30_s(tmp_path, record_property, monkeypatch):
    import shutil

    from fairgap.paths import project_root

    figures = tmp_path / "figures"
    shutil.copytree(project_root() / "figures" / NOTEBOOK.stem, figures / NOTEBOOK.stem)
    monkeypatch.setenv("FAIRGAP_FIGURES", str(figures))   # the server and its kernel inherit it
    results = Path(os.environ["FAIRGAP_RESULTS"])
    _notebook_02_in_jupyterlab(tmp_path, record_property, {"profile": "default", "results": "committed"},
                               COMMITTED_RUN_ALL_S)
    assert not results.exists() or not any(results.rglob("*")), "results=\"committed\" wrote to the results cache"


def _notebook_02_in_jupyterlab(tmp_path, record_property, parameters: dict, run_all_s: float):
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright Python package is missing: pip install -e '.[test]'")
    started = time.monotonic()
    root = tmp_path / "lab"
    root.mkdir()
    notebook = _prepare_notebook(root, parameters)
    lab = JupyterLab(root, tmp_path / "jupyter-home", tmp_path / "jupyterlab.log")
    try:
        lab.wait_ready(SERVER_START_S)
        with sync_api.sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1400, "height": 1100})
            page = context.pages[0] if context.pages else context.new_page()
            try:
                _drive(page, lab, notebook, tmp_path, record_property, run_all_s)
            except BaseException:
                try:  # what the page showed when it failed
                    page.screenshot(path=str(tmp_path / "failure.png"), timeout=10_000)
                    print(f"screenshot of the failure: {tmp_path / 'failure.png'}")
                except Exception:
                    pass
                raise
            finally:
                context.close()
    except Exception as error:
        raise AssertionError(f"{error}\n--- JupyterLab log (tail) ---\n{lab.log_tail()}") from error
    finally:
        lab.stop()
    total = time.monotonic() - started
    record_property("browser_test_total_s", round(total, 1))
    print(f"browser test total: {total:.1f} s")


def _move_and_time_redraw(page, slider, handle, image, key: str) -> float:
    """Press ``key`` on the slider handle; wait until the image's src changes; the time in the browser, ms."""
    before_src = image.get_attribute("src")
    before_label = slider.locator(".widget-readout").inner_text()
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.evaluate(
        """(img) => {
            window.__fairgapRedraw = {t0: null, t1: null};
            document.addEventListener('keydown', () => {
                if (window.__fairgapRedraw.t0 === null) window.__fairgapRedraw.t0 = performance.now();
            }, {capture: true, once: true});
            new MutationObserver((records, observer) => {
                window.__fairgapRedraw.t1 = performance.now();
                observer.disconnect();
            }).observe(img, {attributes: true, attributeFilter: ['src']});
        }""",
        image.element_handle(),
    )
    page.keyboard.press(key)
    page.wait_for_function("() => window.__fairgapRedraw.t1 !== null || window.__fairgapProblems().length > 0",
                           timeout=REDRAW_S * 1000, polling=100)
    problems = _output_problems(page)
    assert not problems, f"error output after moving the slider ({key}):\n" + "\n".join(problems)
    timing = page.evaluate("() => window.__fairgapRedraw")
    redraw_ms = timing["t1"] - timing["t0"]
    after_label = slider.locator(".widget-readout").inner_text()
    print(f"slider {before_label!r} -> {after_label!r} ({key}): redraw {redraw_ms:.0f} ms from key press to new image")
    assert image.get_attribute("src") != before_src, f"the explorer's image did not change ({key})"
    assert after_label != before_label, f"the slider did not move from {before_label!r} ({key})"
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle(),
                           timeout=30_000)
    return redraw_ms


def _drive(page, lab: JupyterLab, notebook: Path, tmp_path: Path, record_property, run_all_limit: float = RUN_ALL_S) -> None:
    page.set_default_timeout(60_000)
    t0 = time.monotonic()
    page.goto(f"{lab.url}/lab/tree/{notebook.name}?reset&token={lab.token}", wait_until="domcontentloaded")
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    panel.locator(".jp-Notebook .jp-Cell").first.wait_for(state="visible", timeout=120_000)
    lab.wait_kernel_idle(120)  # else Run All queues behind the kernel's start, and its time includes it
    print(f"JupyterLab open, kernel idle, after {time.monotonic() - t0:.1f} s")
    page.evaluate(f"() => {{ window.__fairgapProblems = {PROBLEMS_JS}; }}")

    # Run ▸ Run All Cells. Done when every code cell has its execution count, or when an error stopped
    # the run (JupyterLab then drops the cells still queued) and nothing is running any more.
    t1 = time.monotonic()
    _menu(page, "Run", "runmenu:run-all")
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll(
                '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')].map(p => p.textContent);
            if (prompts.length && prompts.every(p => /\\[\\d+\\]/.test(p))) return true;
            return !prompts.some(p => p.includes('*')) && window.__fairgapProblems().length > 0;
        }""",
        timeout=run_all_limit * 1000, polling=500)
    run_all_s = time.monotonic() - t1
    print(f"Run All Cells finished in {run_all_s:.1f} s")
    record_property("run_all_s", round(run_all_s, 1))
    problems = _output_problems(page)
    assert not problems, "error output after Run All:\n" + "\n".join(problems)
    stderr = _stderr_texts(page, ".jp-NotebookPanel")
    if stderr:
        print(f"stderr in the notebook (not errors): {stderr}")

    # An exception in a widget callback is not shown in the notebook: JupyterLab sends kernel output that
    # belongs to no cell to its Log Console. Open it (View ▸ Show Log Console), so its entries are checked too.
    _menu(page, "View", "logconsole:open")
    page.locator(".jp-LogConsole").first.wait_for(state="visible", timeout=30_000)

    # The explorer: move its weight slider with the keyboard, time the redraw in the browser.
    slider = panel.locator(".widget-slider", has=page.locator(".widget-label", has_text="weight λ"))
    handle = slider.locator(".noUi-handle")
    image = panel.locator("img.widget-image")
    handle.wait_for(state="visible", timeout=60_000)
    page.wait_for_function("(img) => img.src && img.complete && img.naturalWidth > 0",
                           arg=image.element_handle(), timeout=60_000)
    now, low, high = (float(handle.get_attribute(a)) for a in ("aria-valuenow", "aria-valuemin", "aria-valuemax"))
    assert high > low, "the weight slider has a single option: nothing to explore"
    # The explorer starts on the middle option, which for two weights (smoke) is the last one. Move one
    # step (screenshot), then back: two redraws timed.
    keys = ["ArrowRight", "ArrowLeft"] if now < high else ["ArrowLeft", "ArrowRight"]
    shot = tmp_path / "notebook02_explorer.png"
    redraws = []
    for key in keys:
        redraws.append(_move_and_time_redraw(page, slider, handle, image, key))
        if not shot.exists():
            page.wait_for_timeout(1000)  # output that follows the new image (a late warning or error) arrives
            image.scroll_into_view_if_needed()
            page.screenshot(path=str(shot))
            print(f"screenshot: {shot}")
    record_property("redraw_ms", [round(ms, 1) for ms in redraws])
    record_property("screenshot", str(shot))
    page.wait_for_timeout(1000)
    problems = _output_problems(page)
    assert not problems, "error output after moving the slider:\n" + "\n".join(problems)
    logged = _stderr_texts(page, ".jp-LogConsolePanel")
    if logged:
        print(f"log console entries (not errors): {logged}")

    # The frontend's own record: File ▸ Save, then the file must hold no error output.
    mtime = notebook.stat().st_mtime_ns
    _menu(page, "File", "docmanager:save")
    deadline = time.monotonic() + 30
    while notebook.stat().st_mtime_ns == mtime and time.monotonic() < deadline:
        time.sleep(0.2)
    assert notebook.stat().st_mtime_ns != mtime, "saving the notebook from JupyterLab did not write it"
    saved_errors = _saved_error_outputs(notebook)
    assert not saved_errors, f"error outputs in the saved notebook: {saved_errors}"


ARTIFACTS = Path(__file__).resolve().parents[1] / "build" / "test-artifacts"
IMAGES_NOT_SHOWN_JS = """() => [...document.images].filter(img => !(img.complete && img.naturalWidth > 0))
                                            .map(img => (img.getAttribute('src') || '').slice(0, 100))"""


def test_the_report_of_a_smoke_run_opens_in_chromium_without_errors(smoke_run, record_property):
    """The report that run_all.sh builds (here from the shared smoke run), opened from disk like a reader would:
    every executed notebook linked from the index, no broken image, no console error, nothing fetched from the
    network, on the index and on notebook 02's page (figures inline, the explorer's saved image)."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright Python package is missing: pip install -e '.[test]'")
    index = smoke_run.report / "index.html"
    assert index.is_file(), f"no report was built:\n{smoke_run.output}"
    executed = sorted(p.stem for p in smoke_run.executed.glob("[0-9]*.ipynb"))
    assert executed, f"nothing was executed:\n{smoke_run.output}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url[:100]} ({r.failure})"))
            page.route(re.compile(r"^https?://"), lambda route: (problems.append(f"network: {route.request.url}"),
                                                                 route.abort()))
            page.goto(index.as_uri(), wait_until="load")
            linked = page.evaluate("() => [...document.querySelectorAll('a[href^=\"notebooks/\"]')].map(a => a.getAttribute('href'))")
            assert [f"notebooks/{name}.html" for name in executed] == list(dict.fromkeys(linked)), linked
            thumbnails = page.locator(".figures img").count()
            assert thumbnails > 0, "the index shows no figure"
            assert not page.evaluate(IMAGES_NOT_SHOWN_JS), "broken images on the index"
            page.screenshot(path=str(ARTIFACTS / "report-index.png"))
            page.screenshot(path=str(ARTIFACTS / "report-index-full.png"), full_page=True)

            page.goto((smoke_run.report / "notebooks" / f"{NOTEBOOK.stem}.html").as_uri(), wait_until="load")
            assert page.locator("img[alt='widget image'][src^='data:image/png']").count() == 1, \
                f"{NOTEBOOK.stem}'s page lacks the explorer's saved image"
            assert not page.evaluate(IMAGES_NOT_SHOWN_JS), f"broken images on {NOTEBOOK.stem}'s page"
            page.locator("img[alt='widget image']").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / f"report-{NOTEBOOK.stem}.png"))
            page.get_by_text("report index").first.click()
            page.wait_for_url(re.compile(r"index\.html$"))
        finally:
            browser.close()
    assert not problems, "\n".join(problems)
    record_property("report_thumbnails", thumbnails)
    record_property("screenshot", str(ARTIFACTS / "report-index.png"))
    print(f"report screenshots in {ARTIFACTS}")
