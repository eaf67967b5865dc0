"""The inventory's host addresses, as every role that wires hosts together reads them."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

PLUGIN = Path(__file__).resolve().parents[2] / "ansible" / "filter_plugins" / "host_address.py"


@pytest.fixture(scope="module")
def filters() -> ModuleType:
    spec = importlib.util.spec_from_file_location("host_address", PLUGIN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOSTVARS = {
    "db1": {"quizbot_private_address": "10.0.0.11", "ansible_host": "db1.example.org"},
    "db2": {"ansible_host": "10.0.0.12"},
    "web1": {},
}


@pytest.mark.parametrize(
    ("host", "address"),
    [("db1", "10.0.0.11"), ("db2", "10.0.0.12"), ("web1", "web1"), ("absent", "absent")],
)
def test_the_private_address_wins_then_ansible_host_then_the_name(
    filters: ModuleType, host: str, address: str
) -> None:
    assert filters.host_address(host, HOSTVARS) == address


def test_a_group_maps_to_its_addresses_in_order(filters: ModuleType) -> None:
    assert filters.host_addresses(["db2", "db1"], HOSTVARS) == ["10.0.0.12", "10.0.0.11"]


@pytest.mark.parametrize(
    ("address", "field"),
    [("10.0.0.12", "10.0.0.12/32"), ("fd00::12", "fd00::12/128"), ("db2.lan", "db2.lan")],
)
def test_pg_hba_gets_one_host_networks_and_names_as_they_are(
    filters: ModuleType, address: str, field: str
) -> None:
    assert filters.hba_network(address) == field


@pytest.mark.parametrize(
    ("host", "slot"), [("db2", "quizbot_db2"), ("DB-2.example.org", "quizbot_db_2_example_org")]
)
def test_a_slot_name_is_a_valid_identifier_named_after_the_host(
    filters: ModuleType, host: str, slot: str
) -> None:
    assert filters.replication_slot(host) == slot
