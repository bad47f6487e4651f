"""The `gradviz` command: the app by default, and headless `trace` and `export` subcommands."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from gradviz import collection, dynamo_stand_in
from gradviz.cli_parsers import SUBCOMMANDS, app_parser, join_negative_values, subcommand_parser
from gradviz.deep_stack import call_with_deep_stack
from gradviz.heap import keep_freed_memory

# a command's exit status, or what it leaves to draw on the main thread (Qt's only one)
Outcome = int | Callable[[], int]
_R = TypeVar("_R")

if TYPE_CHECKING:
    from gradviz.autograd.tracer import TraceResult
    from gradviz.lang.parser import ScalarInput

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad command-line input: printed as `error: ...`, exit status 2."""


def _read_program(path: str) -> tuple[str, dict[str, float]]:
    """The program's text, and the input values a session saved with it (its sliders)."""
    if path == "-":
        return sys.stdin.read().removeprefix("\ufeff"), {}
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # a byte-order mark is no code
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(f"cannot read {path}: {reason}") from None
    if path.endswith(".gradviz"):
        from gradviz.session import load_session_text

        session = load_session_text(text, path)
        return session.source, dict(session.overrides)
    return text, {}


def _program(args: argparse.Namespace) -> tuple[str, dict[str, float]]:
    """Source and input values: a session's saved ones, then each `--set` over them."""
    source, saved = _read_program(args.file)
    return source, {**saved, **_overrides(args.set)}


def _overrides(items: Sequence[str]) -> dict[str, float]:
    values: dict[str, float] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set expects NAME=VALUE, got {item!r}")
        try:
            values[name.strip()] = float(text)
        except ValueError:
            raise UsageError(f"--set {name.strip()}: {text!r} is not a number") from None
    return values


def _trace(args: argparse.Namespace) -> tuple[TraceResult, list[ScalarInput]]:
    """The traced program, and its scalar inputs at the values it ran with."""
    from gradviz.autograd.tracer import trace

    source, overrides = _program(args)
    result = trace(source, device=args.device, overrides=overrides)
    return result, _inputs(result, overrides)


def _inputs(result: TraceResult, overrides: dict[str, float]) -> list[ScalarInput]:
    return [
        dataclasses.replace(item, value=overrides.get(item.name, item.value))
        for item in result.program.inputs
    ]


def cmd_trace(args: argparse.Namespace) -> int:
    from gradviz.autograd.serialize import graph_to_json

    result, inputs = _trace(args)
    data = graph_to_json(
        result.graph,
        max_elements=args.max_elements,
        printed=result.run.printed,
        inputs=inputs,
    )
    json.dump(data, sys.stdout, indent=None if args.compact else 2, allow_nan=False)
    sys.stdout.write("\n")
    return 0


def cmd_export(args: argparse.Namespace) -> Outcome:
    from gradviz.render.dot import RenderOptions
    from gradviz.render.export import export, format_of
    from gradviz.render.theme import get_theme

    page = args.output.lower().endswith(".html")
    animated = page or args.output.lower().endswith((".gif", ".mp4"))
    if args.steps != animated:
        raise UsageError(
            "a walk-through needs --steps and a .gif, .mp4 or .html file (and only then)"
        )
    if not animated:
        format_of(args.output)  # refuse a bad extension before running anything
    result, inputs = _trace(args)
    view = "forward" if args.steps and args.mode == "forward" else args.view
    options = RenderOptions(theme=get_theme(args.theme), orientation=args.orientation, view=view)
    if page:  # a web page: Graphviz's SVG, no Qt
        from gradviz.step_pictures import step_pictures
        from gradviz.walk_page import write_walkthrough

        title = f"gradviz: {Path(args.file).name if args.file not in (None, '-') else 'program'}"
        pictures = step_pictures(result.graph, args.mode, options, source=result.program.source)
        write_walkthrough(args.output, pictures, title, options.theme)
        return 0
    if animated:
        graph = result.graph  # plain data
        del result  # (the program's tensors: freed here, on the deep stack)

        def draw() -> int:
            from gradviz.ui.step_export import export_walkthrough

            export_walkthrough(graph, options, args.mode, args.output)
            return 0

        return draw
    export(
        result.graph,
        args.output,
        options,
        scale=args.scale,
        printed=result.run.printed,
        inputs=inputs,
    )
    return 0


def _numbers(text: str, option: str, form: str) -> tuple[float, ...]:
    """`form`'s comma-separated finite numbers ("X,Y"), or a UsageError naming the option."""
    count = len(form.split(","))
    try:
        values = tuple(float(p) for p in text.split(","))
    except ValueError:
        values = ()
    if len(values) != count or not all(math.isfinite(v) for v in values):
        raise UsageError(f"{option} expects {form} ({count} finite numbers), got {text!r}")
    return values


def _point(text: str) -> tuple[float, float]:
    x, y = _numbers(text, "--start", "X,Y")
    return x, y


def _window(text: str) -> tuple[float, float, float, float]:
    x0, x1, y0, y1 = _numbers(text, "--window", "X0,X1,Y0,Y1")
    if not (x0 < x1 and y0 < y1):
        raise UsageError(f"--window needs X0 < X1 and Y0 < Y1, got {text!r}")
    return x0, x1, y0, y1


def cmd_optimize(args: argparse.Namespace) -> Outcome:
    from gradviz.optim.registry import SpecError, parse_spec
    from gradviz.optim.serialize import race_to_json
    from gradviz.optim.trajectories import race

    if (args.surface is None) == (args.function is None):
        raise UsageError("give exactly one of --surface NAME or --function EXPR")
    if args.steps < 1 or args.steps > 100_000:
        raise UsageError("--steps must be between 1 and 100000")
    if not args.json and not args.output:
        raise UsageError("give --json, or -o OUT.png|gif|mp4")
    if args.output and not args.output.lower().endswith((".png", ".gif", ".mp4")):
        raise UsageError(f"cannot write {args.output!r}: use .png, .gif or .mp4")
    from gradviz.devices import checked_device

    checked_device(args.device)
    surface = _surface(args)
    try:
        specs = [parse_spec(text) for text in (args.optimizer or ["sgd"])]
    except SpecError as exc:
        raise UsageError(str(exc)) from None
    start = _point(args.start) if args.start else surface.start
    result = race(surface, specs, start, args.steps, device=args.device)
    if args.json:
        json.dump(race_to_json(result), sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
    if args.output:

        def draw() -> int:
            from gradviz.ui.lab_export import export_race

            export_race(surface, result, args.output, theme=args.theme)
            return 0

        return draw
    return 0


def _surface(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    if args.function is not None:
        from gradviz.optim.custom import typed_surface

        if args.window:
            return typed_surface(args.function, _window(args.window))
        return typed_surface(args.function)
    from gradviz.optim.surfaces import get_surface

    try:
        return get_surface(args.surface)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None


def cmd_landscape(args: argparse.Namespace) -> int:
    from gradviz.nets.landscape import landscape_json, random_landscape
    from gradviz.nets.replay import ReplayError, replay_loss

    if not args.json:
        raise UsageError("give --json (the landscape is printed as gradviz.landscape/1 JSON)")
    result, _ = _trace(args)
    try:
        loss, base = replay_loss(result.graph)
        landscape = random_landscape(loss, base, args.grid, args.span, args.seed)
    except (ReplayError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    json.dump(landscape_json(landscape), sys.stdout, allow_nan=False)
    sys.stdout.write("\n")
    return 0


def cmd_language(args: argparse.Namespace) -> int:
    from gradviz.lang.reference import language_reference

    sys.stdout.write(language_reference())
    return 0


HANDLERS = {
    "trace": cmd_trace,
    "export": cmd_export,
    "optimize": cmd_optimize,
    "landscape": cmd_landscape,
    "language": cmd_language,
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    keep_freed_memory()  # a trace, a landscape or a basin map reuses freed memory
    dynamo_stand_in.install()  # a program's first optimizer: no 1–2 s import of torch._dynamo
    if argv and argv[0] in SUBCOMMANDS:
        # a program's long autograd chain is freed on that thread, whose stack has room for it
        try:
            outcome = call_with_deep_stack(lambda: _answered(lambda: _subcommand(argv)))
        except KeyboardInterrupt:  # Ctrl-C reaches this thread, which was waiting: leave now,
            # not after the program's thread, nor racing it through Python's exit
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        # then what Qt draws, on this (the main) thread: from plain data, the program freed
        return outcome if isinstance(outcome, int) else _answered(outcome)
    return _answered(lambda: _app(argv))


def _subcommand(argv: list[str]) -> Outcome:
    args = subcommand_parser(HANDLERS).parse_args(join_negative_values(argv))
    if argv[0] != "language":  # every other command runs torch
        with collection.start_up("torch"):
            import torch  # noqa: F401
    outcome: Outcome = args.handler(args)
    return outcome


def _app(argv: list[str]) -> int:
    app_args = app_parser().parse_args(argv)
    if app_args.file and app_args.file != "-":  # said here, before a window opens on nothing
        _read_program(app_args.file)
    from gradviz.ui.launch import launch

    return int(
        launch(
            app_args.file,
            theme=app_args.theme,
            screenshot=app_args.screenshot,
            tab=app_args.tab,
            present=app_args.present,
            step=app_args.step,
        )
    )


def _answered(command: Callable[[], _R]) -> _R | int:
    """The command's exit status; a program's or the command line's error said in one line."""
    from gradviz.lang.errors import ProgramError

    try:
        return command()
    except (ProgramError, UsageError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `gradviz trace p.py | head`: the reader left, no traceback
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception:  # a bug in gradviz: its traceback, printed where the program was freed
        traceback.print_exc()
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
