"""A sentence about a list says "layer" of one and "layers" of several (the layered-pushing items name the
layers an initiative moved past), in the overlooked item and the takeaway alike; a count still decides where
there is one."""

from __future__ import annotations

import re

import pytest

from reportgen.wording.format import Formatter


@pytest.mark.parametrize("code", ["overlooked.skipped_layer", "takeaway.skipped_layer"])
def test_one_layer_is_a_layer_and_several_are_layers(code: str) -> None:
    fmt = Formatter("en", "$")
    one = fmt.say(code, {"initiative": "Xco", "layers": ["product"]})
    several = fmt.say(code, {"initiative": "Xco", "layers": ["business", "product"]})
    assert re.search(r"\blayer\b", one) and not re.search(r"\blayers\b", one), one
    assert re.search(r"\blayers\b", several) and not re.search(r"\blayer\b", several), several
    zh = Formatter("zh", "¥")
    assert "这几层" in zh.say(code, {"initiative": "Xco", "layers": ["business", "product"]})
    assert "这一层" in zh.say(code, {"initiative": "Xco", "layers": ["product"]})


def test_a_count_decides_before_a_list() -> None:
    fmt = Formatter("en", "$")
    assert fmt.say("review.unowned", {"count": 2, "cost": 10}) != fmt.say(
        "review.unowned", {"count": 1, "cost": 10}
    )
