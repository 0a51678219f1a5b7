"""The page in headless Chromium: the timeline draws windows and chapters where they belong, a click
seeks the player, the results browser sorts and filters, and a live query shows the model's text,
parse status and sampled frames. A screenshot is saved (set TIMECHAT_UI_SCREENSHOT=path to keep it)."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from tests.core.ui.browser import chromium
from tests.core.ui.conftest import DURATION, GT_WINDOWS, PRED_WINDOW
from timechat_core.ui.server import create_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    driver = chromium()
    yield driver
    driver.quit()


def wait_for(fn, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def js(driver, script, *args):
    return driver.execute_script(script, *args)


def open_page(driver, url):
    driver.get(url + "/")
    wait_for(lambda: js(driver, "return document.body.dataset.ready === '1'"), what="page ready")


def select(driver, element_id, value):
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", element_id)).select_by_value(value)


def geometry(driver, mark):
    """(left offset, width) of a timeline mark as fractions of its lane."""
    return js(driver, "const r = arguments[0].getBoundingClientRect(), l = arguments[0].parentElement.getBoundingClientRect();"
                      "return [(r.left - l.left) / l.width, r.width / l.width];", mark)


def wait_for_metadata(driver):
    """The player knows the video's duration (the timeline is redrawn then: marks found before go stale)."""
    wait_for(lambda: js(driver, "return document.getElementById('player').dataset.meta === state.ref"),
             what="video metadata")


def current_time(driver):
    return js(driver, "return document.getElementById('player').currentTime")


def click_seeks_to(driver, mark, t):
    mark.click()
    wait_for(lambda: abs(current_time(driver) - t) < 0.05, what=f"currentTime {t}")


def table_rows(driver):
    return [r.text for r in driver.find_elements("css selector", "#res-table tbody tr")]


def test_results_browser_timeline_and_seek(browser, ui_data, uploads, serve_app, tmp_path):
    url = serve_app(create_app(ui_data, uploads)).url
    open_page(browser, url)
    browser.find_element("id", "tab-results").click()
    select(browser, "res-pred", "data/pred.jsonl")
    select(browser, "res-gt", "data/charades_gt.json")
    select(browser, "res-per-item", "data/per_item.jsonl")
    browser.find_element("id", "res-open").click()
    rows = wait_for(lambda: table_rows(browser), what="results table")
    # IoU of 2.5-6.0 with 2.0-5.0 is 2.5 / 4; the unparsable answer scores 0
    assert rows[0].endswith("ok 0.625") and rows[1].endswith("no-time 0.000"), rows
    select(browser, "f-status", "no-time")
    assert [r.split()[0] for r in table_rows(browser)] == ["1"]
    select(browser, "f-status", "")
    browser.find_element("id", "f-iou-min").send_keys("0.5")
    assert [r.split()[0] for r in table_rows(browser)] == ["0"]
    browser.find_element("id", "f-iou-min").clear()
    js(browser, "document.getElementById('f-iou-min').dispatchEvent(new Event('input'))")
    iou_header = browser.find_element("css selector", "th[data-key=iou]")
    iou_header.click()
    assert [r.split()[0] for r in table_rows(browser)] == ["1", "0"]  # ascending IoU
    iou_header.click()
    assert [r.split()[0] for r in table_rows(browser)] == ["0", "1"]

    browser.find_element("css selector", "#res-table tbody tr[data-n='0']").click()
    wait_for_metadata(browser)
    pred = wait_for(lambda: browser.find_elements("css selector", "#track-pred .mark.window"), what="window")
    assert len(pred) == 1
    left, width = geometry(browser, pred[0])
    assert left == pytest.approx(PRED_WINDOW[0] / DURATION, abs=0.005)
    assert width == pytest.approx((PRED_WINDOW[1] - PRED_WINDOW[0]) / DURATION, abs=0.005)
    gt = browser.find_elements("css selector", "#track-gt .mark.gt")
    assert len(gt) == 1
    assert geometry(browser, gt[0]) == pytest.approx([GT_WINDOWS[0][0] / DURATION, 0.3], abs=0.005)
    assert "2.5 - 6.0 seconds" in browser.find_element("id", "raw-text").text
    assert browser.find_element("id", "parse-status").text == "ok"
    click_seeks_to(browser, pred[0], PRED_WINDOW[0])
    click_seeks_to(browser, gt[0], GT_WINDOWS[0][0])
    click_seeks_to(browser, pred[0], PRED_WINDOW[0])
    wait_for(lambda: len(browser.find_elements("css selector", "#frames img")) == 2, what="frames")
    assert [c.text for c in browser.find_elements("css selector", "#frames figcaption")] == ["0.00 s", "5.00 s"]
    shot = tmp_path / "ui.png"
    browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("TIMECHAT_UI_SCREENSHOT"):
        shutil.copy(shot, os.environ["TIMECHAT_UI_SCREENSHOT"])


def test_chapters_from_a_synth_style_annotation(browser, ui_data, uploads, serve_app):
    url = serve_app(create_app(ui_data, uploads)).url
    open_page(browser, url)
    select(browser, "video-select", "data/synth/videos/s0.mp4")
    wait_for_metadata(browser)
    chapters = wait_for(lambda: browser.find_elements("css selector", "#track-gt .mark.chapter"), what="chapters")
    assert [c.text for c in chapters] == ["a red circle appears", "the circle turns blue"]
    assert geometry(browser, chapters[1]) == pytest.approx([0.5, 0.3], abs=0.005)
    click_seeks_to(browser, chapters[1], 5.0)


@pytest.fixture(scope="module", params=["timechat", "qwen2_5_vl", "qwen3_vl"])
def runner(request, datadir, tmp_path_factory):
    """8 frames a video: a tiny random TimeChat, or a tiny random Qwen2.5-VL / Qwen3-VL folder loaded as `ui` does."""
    from timechat_core.ui.runner import Runner

    if request.param != "timechat":
        from timechat_core.infer.load import EngineOptions, load_engine
        from timechat_core.qwen.tiny import save_tiny_folder

        folder = save_tiny_folder(request.param, tmp_path_factory.mktemp("qwen") / request.param)
        return Runner(load_engine(folder, EngineOptions(num_frames=8, prefetch=0, max_new_tokens=12)))
    from timechat_core.infer.engine import Engine
    from timechat_core.model.config import TimeChatConfig
    from timechat_core.model.folder import random_model
    from timechat_core.model.generate import DecodingSettings

    model, proc = random_model(TimeChatConfig.preset("tiny"), datadir / "reference_tiny" / "llama-2-7b-chat-hf")
    model.eval()
    engine = Engine(model, proc, DecodingSettings(max_new_tokens=12), num_frames=8, prefetch=0, model_name="tiny-random")
    return Runner(engine)


def test_live_grounding_query_shows_text_status_and_frames(browser, ui_data, uploads, serve_app, runner):
    """A random model's answer rarely parses: this checks the mechanics (the demo model's check waits for it)."""
    url = serve_app(create_app(ui_data, uploads, runner)).url
    open_page(browser, url)
    assert f"model: {runner.model_name} · 8 frames" == browser.find_element("id", "model-name").text
    select(browser, "video-select", "data/clip.mp4")
    wait_for_metadata(browser)
    entries = wait_for(lambda: browser.find_elements("css selector", "#gt-list li:not(.muted)"), what="GT list")
    assert len(entries) == 2
    entries[1].click()  # picks the query and shows its GT window
    assert browser.find_element("id", "query").get_attribute("value") == "the counter ticks"
    gt = browser.find_element("css selector", "#track-gt .mark.gt")
    assert geometry(browser, gt)[0] == pytest.approx(GT_WINDOWS[1][0] / DURATION, abs=0.005)
    browser.find_element("id", "run").click()
    wait_for(lambda: browser.find_element("id", "status").text.startswith("answered"), timeout=60, what="answer")
    status = js(browser, "return state.record.parse_status")
    assert status and browser.find_element("id", "parse-status").text == status
    assert js(browser, "return document.getElementById('raw-text').textContent === state.record.text")
    assert browser.find_element("id", "prompt").text.startswith("prompt: ")
    assert "the counter ticks" in browser.find_element("id", "prompt").text
    images = browser.find_elements("css selector", "#frames img")
    stamps = [c.text for c in browser.find_elements("css selector", "#frames figcaption")]
    assert len(images) == 8 and stamps[0] == "0.00 s" and len(set(stamps)) == 8
    assert all(js(browser, "return arguments[0].naturalWidth", img) > 0 for img in images)
    windows = js(browser, "return state.record.parsed.windows")
    assert len(browser.find_elements("css selector", "#track-pred .mark.window")) == len(windows)
    assert f'"status": "{status}"' in browser.find_element("id", "parsed").text


@pytest.fixture(scope="module")
def synth_data(tmp_path_factory):
    """One held-out `timechat synth` video (the demo model's test seed) with its native annotations."""
    from tests.conftest import run_cli

    root = tmp_path_factory.mktemp("ui_synth") / "data"
    r = run_cli("synth", "-o", str(root / "synth"), "-n", "1", "--seed", "2000", "--split", "test", "--size", "64",
                "--scenes", "static")
    assert r.returncode == 0, r.stderr[-1000:]
    return root


@pytest.fixture(scope="module")
def demo_runner():
    """The demo model loaded as `timechat ui` loads it (`load_engine`: its frame count, the kind of video it knows)."""
    from timechat_core.infer.load import EngineOptions, load_engine
    from timechat_core.resources import demo_model_dir
    from timechat_core.ui.runner import Runner

    return Runner(load_engine(demo_model_dir(), EngineOptions(max_new_tokens=64, prefetch=0, dtype="fp32")))


def test_live_grounding_with_the_demo_model(browser, synth_data, uploads, serve_app, demo_runner, tmp_path):
    """The shipped demo model answers a grounding query on a held-out synthetic video: the predicted
    window is drawn where its times say, and clicking it seeks the player to its start."""
    url = serve_app(create_app(synth_data, uploads, demo_runner)).url
    open_page(browser, url)
    video = next((synth_data / "synth" / "videos").glob("*.mp4"))
    select(browser, "video-select", f"data/synth/videos/{video.name}")
    wait_for_metadata(browser)
    entries = wait_for(lambda: [e for e in browser.find_elements("css selector", "#gt-list li:not(.muted)")
                                if "visible" in e.text], what="GT list with a shape query")
    entries[0].click()
    browser.find_element("id", "run").click()
    wait_for(lambda: browser.find_element("id", "status").text.startswith("answered"), timeout=90, what="answer")
    windows = js(browser, "return state.record.parsed.windows")
    assert js(browser, "return state.record.parse_status") == "ok" and len(windows) == 1
    duration = js(browser, "return document.getElementById('player').duration")
    mark = browser.find_element("css selector", "#track-pred .mark.window")
    left, width = geometry(browser, mark)
    assert left == pytest.approx(windows[0][0] / duration, abs=0.01)
    assert width == pytest.approx((windows[0][1] - windows[0][0]) / duration, abs=0.01)
    click_seeks_to(browser, mark, windows[0][0])
    assert js(browser, "return state.record.in_domain") is True
    assert not browser.find_element("id", "domain-warning").is_displayed()
    browser.save_screenshot(str(tmp_path / "demo.png"))
    if os.environ.get("TIMECHAT_UI_DEMO_SCREENSHOT"):
        shutil.copy(tmp_path / "demo.png", os.environ["TIMECHAT_UI_DEMO_SCREENSHOT"])


def test_the_demo_model_flags_a_video_it_was_not_trained_on(browser, ui_data, uploads, serve_app, demo_runner):
    """A video that is not a `timechat synth --scenes static` one (here ffmpeg's test pattern): the answer is
    shown with a warning saying the model was not trained on such videos."""
    url = serve_app(create_app(ui_data, uploads, demo_runner)).url
    open_page(browser, url)
    select(browser, "video-select", "data/clip.mp4")
    wait_for_metadata(browser)
    assert not browser.find_element("id", "domain-warning").is_displayed()
    entries = wait_for(lambda: browser.find_elements("css selector", "#gt-list li:not(.muted)"), what="GT list")
    entries[1].click()
    browser.find_element("id", "run").click()
    wait_for(lambda: browser.find_element("id", "status").text.startswith("answered"), timeout=90, what="answer")
    assert js(browser, "return state.record.in_domain") is False
    warning = browser.find_element("id", "domain-warning")
    assert warning.is_displayed()
    assert warning.text == ("Not a video of the only kind the model was trained on (`timechat synth --scenes static`): "
                            "its answer is likely meaningless.")
