"""The command line's parsers: the headless subcommands' and the app's."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any

from gradviz import __version__

SUBCOMMANDS = ("trace", "export", "optimize", "landscape", "language")
Handler = Callable[[argparse.Namespace], Any]


def add_program_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", default="-", help="program file, or - for stdin")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a scalar input such as `x = 2.0` (repeatable)",
    )
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")


def join_negative_values(argv: list[str]) -> list[str]:
    """`--start -1.5,2` would read as an unknown option: pass it as `--start=-1.5,2`."""
    joined: list[str] = []
    index = 0
    while index < len(argv):
        item = argv[index]
        nxt = argv[index + 1] if index + 1 < len(argv) else ""
        if item in ("--start", "--window", "--set") and nxt.startswith("-") and len(nxt) > 1:
            joined.append(f"{item}={nxt}")
            index += 2
            continue
        joined.append(item)
        index += 1
    return joined


def subcommand_parser(handlers: Mapping[str, Handler]) -> argparse.ArgumentParser:
    """The headless commands' parser; each command's `handler` is `handlers[its name]`."""
    parser = argparse.ArgumentParser(prog="gradviz", description="See PyTorch autograd at work.")
    parser.add_argument("--version", action="version", version=f"gradviz {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    trace = sub.add_parser("trace", help="run a program and print its graph as JSON")
    add_program_args(trace)
    trace.add_argument("--max-elements", type=int, default=1024, help="tensor size cap in JSON")
    trace.add_argument("--compact", action="store_true", help="one line of JSON")
    trace.set_defaults(handler=handlers["trace"])

    export = sub.add_parser("export", help="write the graph picture (png/svg/pdf) or data")
    add_program_args(export)
    export.add_argument("-o", "--output", required=True, help="OUT.png|svg|pdf|dot|json")
    export.add_argument("--theme", default="light", choices=("light", "dark", "projector"))
    export.add_argument("--scale", type=float, default=1.0, help="png resolution multiplier")
    export.add_argument("--orientation", default="TB", choices=("TB", "LR"))
    export.add_argument("--view", default="backward", choices=("forward", "backward"))
    export.add_argument(
        "--steps",
        action="store_true",
        help="the walk-through, one frame per step (.gif, .mp4) or a web page of them (.html)",
    )
    export.add_argument(
        "--mode",
        default="backward",
        choices=("backward", "recursive", "forward"),
        help="with --steps: the engine's order, the lecture's recursion, or the forward pass",
    )
    export.set_defaults(handler=handlers["export"])

    optimize = sub.add_parser("optimize", help="race torch.optim optimizers on a surface")
    optimize.add_argument("--surface", help="a built-in surface, e.g. rosenbrock")
    optimize.add_argument(
        "--function", help='f(x, y) in the gradviz language, e.g. "x**2 + 3*y**2"'
    )
    optimize.add_argument("--window", help="X0,X1,Y0,Y1 for --function (default -3,3,-3,3)")
    optimize.add_argument(
        "--optimizer", action="append", metavar="SPEC", help="NAME[:key=value,...] (repeatable)"
    )
    optimize.add_argument("--start", help="X,Y (default: the surface's usual start)")
    optimize.add_argument("--steps", type=int, default=200)
    optimize.add_argument("--device", default="cpu")
    optimize.add_argument("--json", action="store_true", help="print gradviz.trajectories/1 JSON")
    optimize.add_argument("-o", "--output", help="OUT.png (final frame), .gif or .mp4 (the race)")
    optimize.add_argument("--theme", default="light", choices=("light", "dark", "projector"))
    optimize.set_defaults(handler=handlers["optimize"])

    landscape = sub.add_parser(
        "landscape", help="the loss around the torch.nn weights along two random directions"
    )
    add_program_args(landscape)
    landscape.add_argument("--grid", type=int, default=31, help="points per side")
    landscape.add_argument("--span", type=float, default=1.0, help="α, β from −S to S")
    landscape.add_argument("--seed", type=int, default=0, help="for the random directions")
    landscape.add_argument("--json", action="store_true")
    landscape.set_defaults(handler=handlers["landscape"])

    language = sub.add_parser("language", help="list what programs may use")
    language.set_defaults(handler=handlers["language"])
    return parser


def app_parser() -> argparse.ArgumentParser:
    """The app's: a file to open and how to show it."""
    parser = argparse.ArgumentParser(
        prog="gradviz",
        description="See PyTorch autograd at work. Subcommands: " + ", ".join(SUBCOMMANDS),
    )
    parser.add_argument("--version", action="version", version=f"gradviz {__version__}")
    parser.add_argument("file", nargs="?", help="a program (.py) or session (.gradviz) to open")
    parser.add_argument("--theme", choices=("light", "dark", "projector"))
    parser.add_argument("--screenshot", metavar="OUT.png", help="render the window and exit")
    parser.add_argument(
        "--tab",
        choices=("graph", "lab", "landscape", "network"),
        default="graph",
        help="open on this tab (landscape: the lab on FILE's network's loss landscape)",
    )
    parser.add_argument("--present", action="store_true", help="start in presentation mode")
    parser.add_argument("--step", type=int, default=None, help="with --present: go to this step")
    return parser
