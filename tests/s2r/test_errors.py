"""The typed errors: one line, ``where: message``, exit codes per kind."""

from __future__ import annotations

from s2r.errors import ConfigError, DeviceError, ParameterError, S2RError, SafetyStop


def test_where_filled_in_later_shows_in_the_message():
    """Regression: the message used to be frozen at construction (make_task's where)."""
    err = ConfigError("unknown key 'x'")
    err.where = "configs/tasks/t.yaml"
    assert str(err) == "configs/tasks/t.yaml: unknown key 'x'"


def test_parameter_error_is_a_key_error_with_a_plain_message():
    err = ParameterError("unknown parameter", where="link.a.mas")
    assert isinstance(err, KeyError) and str(err) == "link.a.mas: unknown parameter"


def test_exit_codes_differ_by_kind():
    assert S2RError("x").exit_code == 2
    assert DeviceError("x").exit_code == 3
    assert SafetyStop("x").exit_code == 4
