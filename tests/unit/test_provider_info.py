"""The ``storyblok`` connection type reaches Airflow through this package's provider entry point."""

from __future__ import annotations

from importlib.metadata import entry_points


def test_entry_point_is_installed():
    eps = [
        ep
        for ep in entry_points(group="apache_airflow_provider")
        if ep.dist and ep.dist.name == "storyblok-traffic-monitor"
    ]
    assert [ep.value for ep in eps] == ["storyblok_traffic.provider_info:get_provider_info"]


def test_airflow_registers_the_connection_type_with_its_form():
    from airflow.providers_manager import ProvidersManager

    pm = ProvidersManager()
    hook = pm.hooks["storyblok"]
    assert hook is not None
    assert hook.hook_class_name == "storyblok_traffic.hooks.storyblok.StoryblokHook"
    assert hook.connection_testable
    widgets = pm.connection_form_widgets
    assert widgets["extra__storyblok__region"].field["schema"]["enum"][:5] == ["eu", "us", "ca", "ap", "cn"]
    assert "extra__storyblok__auth_scheme" in widgets
    assert pm.field_behaviours["storyblok"]["relabeling"]["password"] == "Access token"


def test_no_connection_field_is_masked_as_a_secret():
    """The masker hides extras whose name holds a secret-like word: the form would show ***."""
    from airflow.sdk._shared.secrets_masker.secrets_masker import should_hide_value_for_key

    from storyblok_traffic.provider_info import CONN_FIELDS

    assert should_hide_value_for_key("token_type")  # why the extra was renamed
    assert [name for name in CONN_FIELDS if should_hide_value_for_key(name)] == []


def test_every_listed_notifier_is_an_airflow_notifier():
    from importlib import import_module

    from airflow.sdk import BaseNotifier

    from storyblok_traffic.provider_info import get_provider_info

    for path in get_provider_info()["notifications"]:
        module, name = path.rsplit(".", 1)
        assert issubclass(getattr(import_module(module), name), BaseNotifier), path
