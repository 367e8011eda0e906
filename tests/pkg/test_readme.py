"""The README's Python section runs as written: its pytest example as a project of its own
(the plugin found through the entry point), its other examples as scripts."""

from __future__ import annotations

import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def python_blocks() -> list[str]:
    text = README.read_text()
    section = text.split("\n## Python", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_section_has_its_three_examples() -> None:
    blocks = python_blocks()
    assert len(blocks) == 3
    assert "def test_" in blocks[0]
    assert "with Server(" in blocks[1]
    assert "with mock()" in blocks[2]


def test_the_pytest_example(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_readme_example=python_blocks()[0])
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize("index", [1, 2], ids=["Server", "mock"])
def test_the_script_examples(index: int) -> None:
    code = python_blocks()[index]
    scope: dict[str, object] = {"__name__": "readme_example"}
    exec(compile(code, f"README.md (Python example {index + 1})", "exec"), scope)
