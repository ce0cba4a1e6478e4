"""Command groups that load a command's module only when that command runs or shows its help.

``landrelease --help`` lists the commands from ``COMMANDS`` (name, module, first paragraph of
the help) without importing any command module; ``landrelease summary --help`` imports only
``landrelease.cli.register``. tests/test_cli_startup.py checks that the table matches the
commands the modules register, so the listing cannot drift from the commands.
"""

from __future__ import annotations

import sys
import types
from difflib import get_close_matches
from typing import Any

import typer
from typer import _click
from typer._coercion import PassThroughRuntimeParam
from typer.core import TyperCommand, TyperGroup

# name -> (module under landrelease.cli, first paragraph of the command's help), in the order
# ``landrelease --help`` lists them (commands as the modules register them, then the groups).
COMMANDS: dict[str, tuple[str, str]] = {
    "backtest": (
        "backtest",
        "Forecast published programmes from their start with their published capacity (never their\n"
        "published release) and show, per year, the published km² against our P10/P50/P90; then the\n"
        "coverage (share inside P10–P90) and the sharpness (median P90/P10), per programme and, for\n"
        "several files, over all of them.",
    ),
    "demo": (
        "demo",
        "The main job: generate a sample region, store it, record activities, model, plan,\n"
        "forecast and write the report (into LANDRELEASE_OUTPUT_DIR, default ./landrelease-output).",
    ),
    "calibrate": (
        "engine",
        "Productivity rates per asset type × metal clutter: prior vs posterior from the daily reports.",
    ),
    "forecast": (
        "engine",
        "Forecast land release: P10/P50/P90 dates, km² released by method, burn-down; compare scenarios.",
    ),
    "handover": (
        "field",
        "Issue the handover certificate of a released area (IMAS 08.30): refused for open land or a failed inspection.",
    ),
    "import": ("io", "Import a file into the register in one transaction: every record, or none."),
    "imports": (
        "io",
        "The history of imports: which file (name, SHA-256), which crosswalk, who, when, what was stored.",
    ),
    "export": ("io", "Export what the register holds, in EPSG:4326, with the columns `import` reads back."),
    "model": (
        "model",
        "Model where the EO probably is, store P(any EO) and expected items per area, show the worst.",
    ),
    "priorities": ("plan", "Rank the open hazard areas by priority, or explain one area's score."),
    "plan": ("plan", "Plan who clears what, and when (with no scenario: the register as it is)."),
    "record-activity": (
        "register",
        "Record an NTS / TS / clearance / EOD result; a partial release splits the area, keeping history.",
    ),
    "summary": (
        "register",
        "Released km² by method (cancelled / reduced / cleared), operator, region and month; open km².",
    ),
    "check": (
        "register",
        "Data-quality checks (GICHD geocheck) and overlapping hazard areas; exit 1 if errors exist.",
    ),
    "report": (
        "report",
        "Write the monthly report for the authority and donors: figures, map, charts, plan, forecast.",
    ),
    "readiness": (
        "returns",
        "When each settlement can come back, by date: joint P10/P50/P90 over the stored forecast's runs.",
    ),
    "serve": ("web", "Serve the map, dashboards, REST API, OGC API – Features and vector tiles."),
    "audit": ("audit", "The audit trail: verify the register against it, anchor it, show history."),
    "reports": ("field", "Daily reports from the field (KoboToolbox / ODK) and their review."),
    "housing": ("returns", "Houses for returning households: import, allocate."),
    "consolidation": ("returns", "Consolidated settlements: propose, accept."),
    "reconstruction": ("returns", "Reconstruction programmes (included in readiness)."),
    "equipment": ("returns", "Shared village machinery: register, book, use."),
    "user": ("web", "Users of the web application."),
}

# Every module that registers commands, in the order ``from landrelease.cli import app`` imports
# them (alphabetical), which is the order that gives COMMANDS' order.
MODULES: tuple[str, ...] = tuple(sorted({module for module, _ in COMMANDS.values()}))


def import_rich_help() -> None:
    """Import typer's help renderer without the rich modules it imports for unused features.

    typer.rich_utils imports rich.markdown (for ``rich_markup_mode="markdown"``; ours is "rich")
    and rich.traceback (for pretty exceptions; ours are off) when it loads, a third of the cost
    of ``landrelease --help``. They are given stand-ins while it loads that import the real
    class the first time one is used, so nothing is lost; the real modules import normally.
    """
    if "typer.rich_utils" in sys.modules:
        return
    stand_ins: dict[str, types.ModuleType] = {}
    for module_name, class_name in (("rich.markdown", "Markdown"), ("rich.traceback", "Traceback")):
        if module_name not in sys.modules:
            stand_in = types.ModuleType(module_name, "stand-in while typer.rich_utils loads")
            setattr(stand_in, class_name, _deferred_class(module_name, class_name))
            stand_ins[module_name] = stand_in
    sys.modules.update(stand_ins)
    try:
        __import__("typer.rich_utils")
    finally:
        for module_name, stand_in in stand_ins.items():
            if sys.modules.get(module_name) is stand_in:
                del sys.modules[module_name]


class _Deferred(type):
    """Metaclass of a stand-in class: attributes (``Traceback.from_exception``) come from the real one."""

    _module: str
    _class: str

    def real(cls) -> Any:
        __import__(cls._module)  # the real module: the stand-in left sys.modules once typer's loaded
        return getattr(sys.modules[cls._module], cls._class)

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(cls.real(), name)


def _deferred_class(module_name: str, class_name: str) -> type:
    """A class that imports ``module_name`` and builds the real ``class_name`` when called."""

    def __new__(cls: Any, *args: Any, **kwargs: Any) -> Any:
        return cls.real()(*args, **kwargs)

    return _Deferred(class_name, (), {"_module": module_name, "_class": class_name, "__new__": __new__})


class LightGroup(TyperGroup):
    """A group whose ``--help`` option is checked without pydantic.

    typer builds a pydantic TypeAdapter for every option it processes, the ``--help`` flag of
    each enclosing group included (its value is None when not given), and importing pydantic
    costs more than the rest of ``landrelease summary --help``. A bool flag needs no adapter:
    None stays None and a bool passes through, as the adapter would give.
    """

    def get_help_option(self, ctx: _click.Context) -> Any:
        option = super().get_help_option(ctx)
        if option is not None and getattr(option, "_runtime_param", None) is None:
            option._runtime_param = PassThroughRuntimeParam(
                parameter_info=option.type_descriptor.parameter_info, annotation=bool
            )
        return option


def lazy_typer(**settings: Any) -> typer.Typer:
    """A typer app whose root group (a LazyGroup) builds its commands from the app on demand."""

    class Group(LazyGroup):
        pass

    app = typer.Typer(cls=Group, **settings)
    Group.typer_app = app
    return app


class LazyGroup(LightGroup):
    """The root group: builds a command from its module when it is invoked or its help shown."""

    typer_app: typer.Typer  # the app the modules register their commands on (set by lazy_typer)
    _listing = False

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        # The listing needs only names and first paragraphs: no command module is imported.
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in COMMANDS:
            return command
        module, first_paragraph = COMMANDS[cmd_name]
        if self._listing:
            return TyperCommand(name=cmd_name, help=first_paragraph)
        from landrelease.cli import load_commands  # the package holds the imports of the command modules

        load_commands(module)
        command = _build(self.typer_app, cmd_name)
        self.commands[cmd_name] = command
        return command

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        try:
            return self._click_resolve_command(ctx, args)
        except _click.exceptions.UsageError as e:
            if self.suggest_commands and args:
                matches = get_close_matches(args[0], self.list_commands(ctx))
                if matches:
                    e.message = f"{e.message.rstrip('.')}. Did you mean {', '.join(repr(m) for m in matches)}?"
            raise


def _build(app: typer.Typer, name: str) -> _click.Command:
    """The click command (or group) ``name`` registered on ``app``, built as typer would."""
    import typer.main

    for info in app.registered_commands:
        assert info.callback is not None
        if (info.name or typer.main.get_command_name(info.callback.__name__)) == name:
            return typer.main.get_command_from_info(
                info, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode
            )
    for group in app.registered_groups:
        if group.name == name:
            return typer.main.get_group_from_info(
                group,
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
                suggest_commands=app.suggest_commands,
            )
    raise LookupError(f"landrelease.cli.{COMMANDS[name][0]} registers no command {name!r}")
