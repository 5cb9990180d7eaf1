"""Regenerate the generated parts of README.md: the command reference (from --help) and the
config reference (from the config model's fields and descriptions).

    python scripts/readme.py          # rewrite README.md
    python scripts/readme.py --check  # exit 1 if README.md is out of date (used by the tests)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from click.testing import CliRunner

from newsletter.cli import main
from newsletter.config import describe_keys
from newsletter.writer import atomic_write_bytes

README = Path(__file__).resolve().parents[1] / "README.md"


def cli_reference() -> str:
    runner = CliRunner()
    parts = []
    top = runner.invoke(main, ["--help"], terminal_width=100, prog_name="newsletter").output
    parts.append(f"```text\n$ newsletter --help\n{top.rstrip()}\n```")
    for name in sorted(main.commands):
        output = runner.invoke(main, [name, "--help"], terminal_width=100, prog_name="newsletter").output
        parts.append(f"```text\n$ newsletter {name} --help\n{output.rstrip()}\n```")
    return "\n\n".join(parts)


def config_reference() -> str:
    rows = ["| key | default | meaning |", "|---|---|---|"]
    for key, default, description in describe_keys():
        escaped = description.replace("|", "\\|")
        rows.append(f"| `{key}` | `{default}` | {escaped} |")
    return "\n".join(rows)


def render(text: str) -> str:
    for marker, body in (("cli-reference", cli_reference()), ("config-reference", config_reference())):
        pattern = re.compile(rf"(<!-- {marker}:start -->\n).*?(<!-- {marker}:end -->)", re.DOTALL)
        text = pattern.sub(lambda m, body=body: f"{m.group(1)}{body}\n{m.group(2)}", text)
    return text


def main_script() -> int:
    current = README.read_text(encoding="utf-8")
    updated = render(current)
    if "--check" in sys.argv:
        if updated != current:
            print("README.md is out of date: run `python scripts/readme.py`", file=sys.stderr)
            return 1
        return 0
    atomic_write_bytes(README, updated.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main_script())
