"""Static checks of the Dockerfile (no Docker engine here): pinned base, multi-stage, non-root,
nothing installed in the final stage, the operator as ENTRYPOINT, and a tight build context."""

from __future__ import annotations

import json
import pathlib
import re
import shlex
import tomllib
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parents[2]


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def parse() -> tuple[dict[str, str], list[Stage]]:
    """Global ARGs and stages of the Dockerfile (comments dropped, continuations joined)."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in joined.splitlines():
        if not line.strip():
            continue
        keyword, _, rest = line.strip().partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            words = rest.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: args[m[1]], words[0])
            stages.append(Stage(base, words[2] if len(words) > 2 and words[1].upper() == "AS" else None))
        elif keyword == "ARG" and not stages:
            name, _, default = rest.partition("=")
            args[name] = default
        else:
            stages[-1].instructions.append((keyword, rest))
    return args, stages


def test_base_is_a_pinned_slim_python_supported_by_the_project() -> None:
    _, stages = parse()
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    minimum = tuple(int(x) for x in requires.removeprefix(">=").split("."))
    for stage in stages:
        if stage.base == "builder":
            continue
        match = re.fullmatch(r"python:(3)\.(\d+)\.(\d+)-slim(-\w+)?(@sha256:[0-9a-f]{64})?", stage.base)
        assert match, f"base {stage.base} is not a slim python image pinned to a patch release"
        assert (int(match[1]), int(match[2])) >= minimum
    assert len({s.base for s in stages}) == 1, "builder and final stage share one base"


def test_multi_stage_with_the_wheel_in_a_venv() -> None:
    _, stages = parse()
    assert len(stages) == 2 and stages[0].name == "builder"
    (build,) = stages[0].all("RUN")
    assert "venv" in build and "pip wheel" in build and "/opt/venv/bin/python install" in build
    final = stages[-1]
    assert any(c.startswith("--from=builder /opt/venv /opt/venv") for c in final.all("COPY"))
    assert len(final.all("COPY")) == 1, "the final stage copies only the venv"


def test_final_stage_installs_nothing() -> None:
    final = parse()[1][-1]
    for command in final.all("RUN"):
        assert not re.search(r"\bpip\b|apt-get|apk |\bcurl\b|\bwget\b|gcc|build-essential", command), command


def test_runs_as_non_root_65532() -> None:
    final = parse()[1][-1]
    users = final.all("USER")
    assert users and users[-1] == "65532:65532"
    chart = (ROOT / "helm" / "sagemaker-inference-operator" / "values.yaml").read_text()
    assert "runAsUser: 65532" in chart


def test_entrypoint_is_the_operator() -> None:
    final = parse()[1][-1]
    (entrypoint,) = final.all("ENTRYPOINT")
    assert json.loads(entrypoint) == ["sagemaker-operator", "run"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert "sagemaker-operator" in scripts
    env = " ".join(final.all("ENV"))
    assert "PATH=/opt/venv/bin:$PATH" in env and "PYTHONDONTWRITEBYTECODE=1" in env
    ports = {int(p) for line in final.all("EXPOSE") for p in shlex.split(line)}
    assert ports == {8080, 9090}, "the chart's liveness and metrics ports"


def test_build_context_is_an_allowlist() -> None:
    rules = [r for r in (ROOT / ".dockerignore").read_text().splitlines() if r and not r.startswith("#")]
    assert rules[0] == "*"
    allowed = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    assert allowed == {"pyproject.toml", "README.md", "operator"}
    copied = {w.rstrip("/") for c in parse()[1][0].all("COPY") for w in c.split()[:-1]}
    assert copied <= allowed, "everything the builder copies is in the build context"
