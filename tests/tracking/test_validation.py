"""Property tests of key/value validation: only ValidationError ever escapes, and what is accepted is documented.

The documented rule (issue 2, MLflow's): keys are letters, digits, ``_ - . / space``,
1..250 characters; param values <= 6000 chars, tags <= 8000; metric values real
numbers (not bool/str); steps 64-bit integers; artifact paths never leave the run.
"""

from __future__ import annotations

import decimal
import re
from fractions import Fraction
from pathlib import PurePosixPath

import pytest

pytest.importorskip(
    "hypothesis", reason="property tests need hypothesis (the test extra); CI's logging-only venv has pytest alone"
)
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tuitrack import validation
from tuitrack.errors import ValidationError

KEY_RE = re.compile(r"[\w./\- ]{1,250}")  # \w: letters, digits and '_' (Unicode, like MLflow)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.binary(max_size=8),
    st.complex_numbers(),
    st.lists(st.integers(), max_size=3),
    st.fractions(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
key_alphabet = st.sampled_from(list("abcXYZ019_-./ \n\t\x00\x1b'\";:!@#$%^&*()[]{}<>|\\~`é中😀\u202e"))


@settings(max_examples=400, deadline=None)
@given(st.one_of(anything, st.text(alphabet=key_alphabet, max_size=12), st.text(min_size=240, max_size=260)))
def test_validate_key_raises_only_validation_error(key: object) -> None:
    try:
        out = validation.validate_key(key, "metric key")
    except ValidationError as exc:
        assert "metric key" in str(exc)
    else:
        assert out == key


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=key_alphabet, max_size=12))
@example("loss\n")
def test_accepted_keys_match_the_documented_rule(key: str) -> None:
    try:
        validation.validate_key(key)
    except ValidationError:
        return
    assert KEY_RE.fullmatch(key), key
    assert not CONTROL.search(key)
    assert not key.startswith("/") and "//" not in key and ".." not in key.split("/")


@given(st.text(alphabet=st.sampled_from(list("abz09_-. /")), min_size=1, max_size=250))
def test_documented_keys_are_accepted_unless_path_like(key: str) -> None:
    path_like = key.startswith("/") or "//" in key or ".." in key.split("/")
    if path_like:
        with pytest.raises(ValidationError, match="path-like"):
            validation.validate_key(key)
    else:
        assert validation.validate_key(key) == key


@pytest.mark.parametrize("n, ok", [(250, True), (251, False)])
def test_key_length_limit(n: int, ok: bool) -> None:
    if ok:
        assert validation.validate_key("k" * n) == "k" * n
    else:
        with pytest.raises(ValidationError, match="is 251 characters long; the limit is 250"):
            validation.validate_key("k" * n)


@pytest.mark.parametrize("fn, limit", [(validation.param_value, 6000), (validation.tag_value, 8000)])
def test_value_length_limits(fn, limit: int) -> None:
    assert fn("k", "v" * limit) == "v" * limit
    with pytest.raises(ValidationError, match=f"is {limit + 1} characters long; the limit is {limit}"):
        fn("k", "v" * (limit + 1))


@settings(max_examples=300, deadline=None)
@given(anything)
def test_param_and_tag_values_are_strings_or_validation_error(value: object) -> None:
    for fn in (validation.param_value, validation.tag_value):
        try:
            out = fn("k", value)
        except ValidationError:
            continue
        assert isinstance(out, str) and out == (value if isinstance(value, str) else str(value))


@settings(max_examples=500, deadline=None)
@given(st.one_of(anything, st.integers(min_value=-(10**30), max_value=10**30)))
def test_metric_value_is_float_or_validation_error_small(value: object) -> None:
    """Everything except astronomically large integers: a float out, or ValidationError naming the key."""
    if isinstance(value, (int, Fraction)) and not isinstance(value, bool) and abs(value) > 1e300:
        return
    try:
        out = validation.metric_value("acc", value)
    except ValidationError as exc:
        assert "'acc'" in str(exc)
        assert isinstance(value, (bool, str, bytes, complex, list, dict, type(None))) or (
            isinstance(value, decimal.Decimal) and value.is_snan()
        )
    else:
        assert type(out) is float
        assert not isinstance(value, (bool, str, bytes))
        if out != out:
            assert float(value) != float(value)  # NaN of any type stays NaN
        else:
            assert out == float(value)


@given(st.integers(min_value=10**309, max_value=10**400))
@example(10**400)
def test_metric_value_huge_integers_raise_validation_error(value: int) -> None:
    with pytest.raises(ValidationError, match="'acc'"):
        validation.metric_value("acc", value)


@given(st.one_of(anything, st.integers(min_value=-(2**70), max_value=2**70)))
def test_metric_step_only_integers_in_64_bit_range(step: object) -> None:
    try:
        out = validation.metric_step("acc", step)
    except ValidationError as exc:
        assert "step" in str(exc) and "'acc'" in str(exc)
        assert isinstance(step, bool) or not isinstance(step, int) or not -(2**63) <= step < 2**63
    else:
        assert type(out) is int and out == step and not isinstance(step, bool)


@given(st.one_of(anything, st.integers()))
def test_metric_timestamp_raises_only_validation_error(ts: object) -> None:
    try:
        out = validation.metric_timestamp("acc", ts)
    except ValidationError as exc:
        assert "timestamp" in str(exc)
    else:
        assert type(out) is int


@given(st.one_of(st.integers(min_value=2**63), st.integers(max_value=-(2**63) - 1), st.floats(min_value=1e19)))
@example(10**30)
def test_metric_timestamp_range_is_checked(ts: object) -> None:
    with pytest.raises(ValidationError, match="timestamp"):
        validation.metric_timestamp("acc", ts)


path_alphabet = st.sampled_from([*list("ab./\\\x00\n é"), "..", "/", "./"])


@settings(max_examples=500, deadline=None)
@given(st.lists(path_alphabet, max_size=8).map("".join))
@example("a/../../b")
@example("../x")
@example("/abs")
def test_artifact_paths_never_escape(path: str) -> None:
    try:
        out = validation.artifact_path(path)
    except ValidationError as exc:
        assert repr(path) in str(exc)
        return
    assert isinstance(out, str)
    assert not out.startswith("/") and "\\" not in out and not CONTROL.search(out)
    assert ".." not in PurePosixPath(out).parts
    root = PurePosixPath("/store/artifacts/run")
    # joined and normalised lexically, the result stays inside the run folder
    joined = PurePosixPath(*(root.parts + PurePosixPath(out).parts)) if out else root
    assert str(joined).startswith(str(root))


@given(anything)
def test_names_raise_only_validation_error(value: object) -> None:
    for fn in (validation.run_name, validation.experiment_name, validation.note_text):
        try:
            out = fn(value)
        except ValidationError:
            continue
        assert out == value and isinstance(out, str)
