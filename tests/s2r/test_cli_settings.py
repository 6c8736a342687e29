"""Every command setting is checked where it is read and listed in ``--help``."""

from __future__ import annotations

import dataclasses
import re

import pytest

from hardware.emulator.config import EmulatorConfig, load_emulator_config
from s2r import cli
from s2r.cli import main
from s2r.commands.hardware import DeployConfig, RecordConfig, SerialConfig
from s2r.commands.rollout import RolloutConfig
from s2r.config import configs_dir, load_structured, read_yaml
from s2r.demo import DemoConfig
from s2r.errors import ConfigError
from s2r.settings import default_of, field_info, format_default

CONFIGS = [RolloutConfig, RecordConfig, DeployConfig, SerialConfig, DemoConfig, EmulatorConfig]
REQUIRED = ["port=P", "policy=scripted:zero"]  # the mandatory keys of record/deploy


def _settings_commands() -> dict[str, type]:
    from s2r import commands  # noqa: F401  (registers them)

    return {name: cli.settings_class(name) for name in cli.COMMANDS
            if cli.settings_class(name) is not None}


@pytest.mark.parametrize("command, override, message", [
    ("record", "amplitude=nan", "amplitude: must be finite, got nan"),
    ("record", "kp=nan", "kp: must be finite, got nan"),
    ("record", "f1=inf", "f1: must be finite, got inf"),
    ("record", "rate=-5", "rate: must be > 0, got -5.0"),
    ("record", "rate=nan", "rate: must be finite, got nan"),
    ("record", "reply_wait=nan", "reply_wait: must be finite, got nan"),
    ("record", "baud=0", "baud: must be > 0, got 0"),
    ("record", "reply_timeout=-1", "reply_timeout: must be > 0, got -1.0"),
    ("record", "max_retries=-1", "max_retries: must be >= 0, got -1"),
    ("record", "watchdog_ms=70000", "watchdog_ms: must be 1..60000, got 70000"),
    ("record", "watchdog_ms=0", "watchdog_ms: must be 1..60000, got 0"),
    ("record", "excitation=sweep", "excitation: must be chirp, prbs, multisine or policy, "
     "got 'sweep'"),
    ("record", "frequencies=[1,-2]", "frequencies[1]: must be > 0, got -2.0"),
    ("deploy", "max_steps=-3", "max_steps: must be >= 1, got -3"),
    ("deploy", "settle=nan", "settle: must be finite, got nan"),
    ("deploy", "source=bench", "source: must be auto, hardware or emulator, got 'bench'"),
    ("rollout", "max_steps=-3", "max_steps: must be >= 1, got -3"),
    ("rollout", "controller=sine", "controller= is now policy=: write policy=scripted:<zero"
     "|random|sine> or policy=FILE.pt"),
    ("demo", "record_seconds=nan", "record_seconds: must be finite, got nan"),
    ("emulate", "control_rate=nan", "control_rate: must be finite, got nan"),
])
def test_bad_values_are_config_errors_naming_key_and_source(command, override, message,
                                                            tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    extra = {"record": REQUIRED[:1], "deploy": REQUIRED}.get(command, [])
    assert main([command, *extra, override]) == 2
    err = capsys.readouterr().err
    assert err == f"s2r {command}: error: <overrides>: {message}\n"
    assert list(tmp_path.iterdir()) == []  # nothing written, no device opened


def test_a_config_file_is_named_as_the_source(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bench.yaml"
    path.write_text("port: /dev/null\nrecord:\n  kp: .nan\n")
    assert main(["record", "--config", str(path)]) == 2
    assert capsys.readouterr().err == f"s2r record: error: {path}: kp: must be finite, got nan\n"
    # an override on top is named instead
    assert main(["record", "--config", str(path), "kp=-1"]) == 2
    assert "<overrides>: kp: must be >= 0, got -1" in capsys.readouterr().err


def _float_fields(schema: type) -> list[str]:
    return [f.name for f in dataclasses.fields(schema)
            if "float" in str(f.type) and "list" not in str(f.type)]


@pytest.mark.parametrize("schema, key", [(s, k) for s in CONFIGS for k in _float_fields(s)])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_no_float_setting_accepts_nan_or_inf(schema, key, value):
    required = [o for o in REQUIRED if o.split("=")[0] in schema.__dataclass_fields__]
    with pytest.raises(ConfigError) as info:
        load_structured(schema, overrides=[*required, f"{key}={value}"])
    assert str(info.value).startswith(f"<overrides>: {key}: must be finite, got ")


def test_emulator_programmatic_check_uses_the_same_settings():
    with pytest.raises(ConfigError, match="emulator: watchdog_ms: must be 1..60000, got 0"):
        EmulatorConfig(watchdog_ms=0).check()
    with pytest.raises(ConfigError, match="<overrides>: comm_latency: must be finite"):
        load_emulator_config(overrides=["comm_latency=inf"])


def test_every_setting_has_a_meaning():
    for schema in CONFIGS:
        for f in dataclasses.fields(schema):
            assert field_info(f)[0].strip(), f"{schema.__name__}.{f.name} has no help"


def test_help_lists_every_key_with_default_and_meaning(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")  # one line per key
    commands = _settings_commands()
    assert set(commands) >= {"rollout", "record", "deploy", "demo", "emulate"}
    for name, schema in commands.items():
        with pytest.raises(SystemExit) as info:
            main([name, "--help"])
        assert info.value.code == 0
        out = capsys.readouterr().out
        assert "settings (key=value" in out
        for f in dataclasses.fields(schema):
            default = format_default(default_of(f))
            meaning = field_info(f)[0]
            line = re.search(rf"^  {re.escape(f.name)} +{re.escape(default)} +(.*)$", out,
                             re.MULTILINE)
            assert line, f"{name} --help lacks {f.name} with default {default}"
            assert line.group(1).startswith(meaning), (name, f.name, line.group(1))


def test_serial_yaml_defaults_are_the_dataclass_defaults():
    """--help shows the dataclass defaults: they must be what serial.yaml sets."""
    from omegaconf import OmegaConf

    raw = OmegaConf.to_container(read_yaml(configs_dir() / "hardware" / "serial.yaml"))
    shared = {k: v for k, v in raw.items() if k not in ("record", "deploy")}
    for schema, section in ((RecordConfig, "record"), (DeployConfig, "deploy")):
        yaml = {**shared, **raw[section]}
        fields = {f.name: default_of(f) for f in dataclasses.fields(schema)}
        assert set(yaml) == set(fields), section
        for key, value in yaml.items():
            assert value == fields[key], f"{section}.{key}: yaml {value!r} != {fields[key]!r}"


def test_help_wraps_meanings_to_the_terminal(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    for name, schema in _settings_commands().items():
        with pytest.raises(SystemExit):
            main([name, "--help"])
        out = capsys.readouterr().out
        settings = out.split("settings (key=value", 1)[1].split("\n", 1)[1]
        assert max(map(len, settings.splitlines())) <= 78, name
        flat = " ".join(settings.split())
        for f in dataclasses.fields(schema):
            assert " ".join(field_info(f)[0].split()) in flat, (name, f.name)
            assert field_info(f)[1].describe() in flat, (name, f.name)


def test_a_config_file_section_that_is_not_a_mapping(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bench.yaml"
    path.write_text("port: /dev/null\nrecord: 3\n")
    assert main(["record", "--config", str(path)]) == 2
    assert capsys.readouterr().err == (f"s2r record: error: {path}: record: expected a mapping "
                                       "of record settings, got 3\n")


def test_a_field_may_allow_infinity_but_never_nan():
    from s2r.settings import setting

    @dataclasses.dataclass
    class Limits:
        high: float = setting(1.0, "upper limit; inf: none", gt=0, finite=False)
        low: float = setting(0.0, "lower limit", ge=0, message="must be a non-negative limit")

    assert load_structured(Limits, overrides=["high=inf"]).high == float("inf")
    with pytest.raises(ConfigError, match=r"<overrides>: high: must be a number, got nan"):
        load_structured(Limits, overrides=["high=nan"])
    with pytest.raises(ConfigError, match=r"high: must be > 0, got -inf"):
        load_structured(Limits, overrides=["high=-inf"])
    with pytest.raises(ConfigError, match=r"low: must be a non-negative limit, got -1.0"):
        load_structured(Limits, overrides=["low=-1"])
    with pytest.raises(ConfigError, match=r"Limits defaults: low: must be a non-negative"):
        load_structured(dataclasses.make_dataclass(
            "Limits", [("low", float, setting(-1.0, "bad default", ge=0,
                                                message="must be a non-negative limit"))]))
