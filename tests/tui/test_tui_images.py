"""The image view (i) and image previews in the Artifacts tab."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_helpers import browse

import tuitrack
from tuitrack.store import core as store_mod
from tuitrack.tui.browser.artifact_preview import ArtifactPreview
from tuitrack.tui.browser.run_detail import RunDetail
from tuitrack.tui.screens.images import ImagesScreen
from tuitrack.tui.waits import drain
from tuitrack.tui.waits import settle_browser as settle

np = pytest.importorskip("numpy")
T0 = 1_717_000_000_000


@pytest.fixture(autouse=True)
def halfcell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUITRACK_IMAGES", "halfcell")


def seed(path: Path) -> dict[str, str]:
    ticks = iter(range(10_000))
    store_mod.set_clock(lambda: T0 + next(ticks) * 1000)
    tuitrack.configure(capture_env=False, capture_packages=False)
    ids = {}
    for name, steps in [("a", (0, 10, 20)), ("b", (5, 20)), ("[b]c[/b]", ())]:
        with tuitrack.start_run(name=name) as run:
            for step in steps:
                run.log_image(np.full((6, 8, 3), step * 10, dtype=np.uint8), key="pred", step=step)
            if name == "a":
                run.log_image(np.zeros((4, 4)), key="mask", step=0)
                run.log_text("hello", "notes.txt")
            ids[name] = run.id
    tuitrack.flush()
    store_mod.set_clock(lambda: T0 + 3_600_000)
    return ids


@pytest.fixture
def seeded(store_path: Path) -> tuple[Path, dict[str, str]]:
    return store_path, seed(store_path)


async def test_image_view_steps_through_one_key_across_runs(seeded, tmp_path):
    path, _ids = seeded
    async with browse(path, tmp_path) as (app, pilot):
        await pilot.press("space", "space", "space")  # mark all three (space marks and moves down)
        await settle(pilot, app)
        await pilot.press("i")
        await drain(pilot, pause=0.05)
        screen = app.screen
        assert isinstance(screen, ImagesScreen)
        assert screen.keys == ["mask", "pred"] and screen.key == "mask"
        await pilot.press("right_square_bracket")
        await drain(pilot, pause=0.05)
        assert screen.key == "pred" and screen.steps == [0, 5, 10, 20]
        assert screen.steps[screen.step_index] == 20  # opens at the last step
        names = [s.name for s in screen.series]
        shown = dict(zip(names, screen.shown))
        assert shown["a"] == ("images/pred/step_000000020.png", 20)
        assert shown["b"] == ("images/pred/step_000000020.png", 20)
        assert shown["[b]c[/b]"][1] is None and "no pred image" in shown["[b]c[/b]"][0]
        await pilot.press("left")  # step 10: b shows its latest image before it, step 5
        await drain(pilot, pause=0.05)
        shown = dict(zip(names, screen.shown))
        assert shown["a"] == ("images/pred/step_000000010.png", 10)
        assert shown["b"] == ("images/pred/step_000000005.png", 5)
        caption = str(screen.query_one(f"#caption-{names.index('b')}").render())
        assert "step 5 (latest ≤ 10)" in caption and "8×6" in caption
        await pilot.press("home")
        await drain(pilot, pause=0.05)
        assert dict(zip(names, screen.shown))["b"][1] is None  # nothing before step 0 in b
        title = str(screen.query_one(f"#caption-{names.index('[b]c[/b]')}").render())
        assert "[b]c[/b]" in title  # markup in a run name is shown literally
        await pilot.press("escape")
        assert not isinstance(app.screen, ImagesScreen)


async def test_image_view_without_images_says_how_to_make_them(store_path, tmp_path):
    tuitrack.configure(capture_env=False, capture_packages=False)
    with tuitrack.start_run(name="plain"):
        tuitrack.log_metric("x", 1)
    async with browse(store_path, tmp_path) as (app, pilot):
        await pilot.press("i")
        await drain(pilot, pause=0.05)
        assert "log_image(image, key=" in str(app.screen.query_one("#images-title").render())


async def test_artifacts_tab_previews_an_image_with_its_dimensions(seeded, tmp_path):
    path, _ids = seeded
    async with browse(path, tmp_path) as (app, pilot):
        app.browser.apply_filter("run_name = 'a'")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        detail = app.browser.query_one(RunDetail)
        detail.select_tab("artifacts")
        await drain(pilot, pause=0.05)
        keys = [row.key for row in detail._rows]
        detail.query_one("#artifact-list").move_cursor(row=keys.index("images/pred/step_000000010.png"))
        await pilot.press("enter")
        await drain(pilot, pause=0.05)
        preview = detail.query_one(ArtifactPreview)
        assert "8×6 px" in str(preview.query_one("#preview-title").render())
        picture = preview.query_one("#preview-image")
        assert picture.display and picture.image is not None and picture.image.size == (8, 6)
        assert not preview.query_one("#preview-body").display
        detail.query_one("#artifact-list").move_cursor(row=keys.index("notes.txt"))  # text hides the picture
        await pilot.press("enter")
        await drain(pilot, pause=0.05)
        assert preview.query_one("#preview-body").display and not picture.display


async def test_a_broken_image_file_says_so(seeded, tmp_path):
    path, ids = seeded
    broken = path / "artifacts" / ids["a"] / "images" / "pred" / "step_000000010.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    async with browse(path, tmp_path) as (app, pilot):
        app.browser.apply_filter("run_name = 'a'")
        await settle(pilot, app)
        await pilot.press("space")
        await pilot.press("i")
        await drain(pilot, pause=0.05)
        screen = app.screen
        screen.action_key(1)
        await drain(pilot, pause=0.05)
        await pilot.press("left")
        await drain(pilot, pause=0.05)
        assert screen.shown[0][0].startswith("cannot show images/pred/step_000000010.png")
