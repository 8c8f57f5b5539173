"""The small YAML writer/reader used for MLmodel, conda.yaml and .yaml artifacts without PyYAML."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuitrack import yaml_text

yaml = pytest.importorskip("yaml")

FIXTURES = Path(__file__).parents[1] / "data" / "mlflow"

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.floats(allow_nan=False), st.text(max_size=20)
)
keys = st.text(min_size=1, max_size=12)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, trees, max_size=5))
def test_dump_loads_back_with_pyyaml_and_without(data: dict) -> None:
    text = yaml_text.dump(data)
    assert yaml.safe_load(text) == data
    assert yaml_text._Reader(text).document() == data


def test_special_values_and_block_style() -> None:
    data = {
        "nan": math.nan,
        "inf": -math.inf,
        "reserved": ["yes", "null", "1.5", "", "a: b", "x #y"],
        "ctl": "a\x00b\x85c\u2028",
        "empty": {},
        "none": [],
    }
    text = yaml_text.dump(data)
    back = yaml_text._Reader(text).document()
    assert math.isnan(back.pop("nan")) and math.isnan(yaml.safe_load(text)["nan"])
    assert back == {k: v for k, v in data.items() if k != "nan"}
    assert yaml_text.dump({"a": {"b": [1, {"c": "d"}]}}) == "a:\n  b:\n  - 1\n  - c: d\n"


def test_reads_every_yaml_file_mlflow_wrote_as_pyyaml_does() -> None:
    files = [p for p in FIXTURES.rglob("*") if p.is_file() and (p.suffix == ".yaml" or p.name == "MLmodel")]
    assert len(files) > 20
    for path in files:
        text = path.read_text()
        assert yaml_text._Reader(text).document() == yaml.safe_load(text), path


def test_unreadable_text_is_a_clear_error() -> None:
    with pytest.raises(yaml_text.YamlError, match="PyYAML"):
        yaml_text._Reader("a: &anchor 1\nb: *anchor\n").document()
