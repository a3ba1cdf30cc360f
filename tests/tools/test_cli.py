"""The `mirror` command line: global options on either side of the subcommand, and `mirror stages`."""
from __future__ import annotations

import pytest

from tools.cli import build_parser, main


@pytest.mark.parametrize("argv", [
    ["--log-level", "DEBUG", "serve", "--port", "9000"],
    ["serve", "--log-level", "DEBUG", "--port", "9000"],
    ["serve", "--port", "9000", "--log-level", "DEBUG"],
])
def test_global_options_go_before_or_after_the_subcommand(argv):
    args = build_parser(argv).parse_args(argv)
    assert (args.cmd, args.port, args.log_level) == ("serve", 9000, "DEBUG")


@pytest.mark.parametrize("argv", [["--log-level", "DEBUG", "serve", "--help"], ["serve", "--log-level", "DEBUG", "--help"]])
def test_help_works_with_the_log_level_on_either_side(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 0
    assert "--port" in capsys.readouterr().out


def test_bench_options_are_registered_after_a_global_option():
    argv = ["--log-level", "INFO", "bench", "world", "--log-level", "DEBUG"]
    args = build_parser(argv).parse_args(argv)
    assert (args.cmd, args.bench, args.log_level) == ("bench", "world", "DEBUG")


def test_mirror_stages_lists_every_stage_and_why_one_cannot_run(capsys):
    assert main(["stages", "--stages", "auto"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines()[1:] if line.strip() and "→" not in line}
    assert set(rows) >= {"passthrough", "skeleton", "composite", "neural", "diffusion"}
    assert " yes " in rows["neural"] and " no " in rows["diffusion"]
    assert "diffusion" in rows["diffusion"] and len(rows["diffusion"].split(" no ", 1)[1].strip()) > 10  # a reason
    assert "auto → composite → neural" in out
