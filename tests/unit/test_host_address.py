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


RULES = [
    {"group": "db", "from": ["web", "workers", "db_replica"], "ports": [5432]},
    {"group": "db", "from": ["web", "workers"], "ports": [6432]},
    {"group": "db_replica", "from": ["web"], "ports": [6432]},
    {"group": "web", "from": ["lb"], "ports": ["8444"]},
]
# lb and web1 on one machine, a worker that is also the replica.
GROUPS = {
    "lb": ["edge"],
    "web": ["edge", "web2"],
    "workers": ["work1", "work2"],
    "db": ["db1"],
    "db_replica": ["work2"],
}
ADDRESSES = {
    h: {"quizbot_private_address": f"10.0.0.{i}"}
    for i, h in enumerate(["edge", "web2", "work1", "work2", "db1"], start=1)
}


def test_the_primary_admits_the_app_hosts_and_the_standby_on_their_ports(
    filters: ModuleType,
) -> None:
    assert filters.firewall_peers(RULES, "db1", GROUPS, ADDRESSES) == [
        {"source": "10.0.0.1", "ports": [5432, 6432]},
        {"source": "10.0.0.2", "ports": [5432, 6432]},
        {"source": "10.0.0.3", "ports": [5432, 6432]},
        {"source": "10.0.0.4", "ports": [5432, 6432]},
    ]


def test_a_host_never_lists_itself_and_an_lb_host_needs_no_rule_for_its_own_web(
    filters: ModuleType,
) -> None:
    assert filters.firewall_peers(RULES, "edge", GROUPS, ADDRESSES) == []
    assert filters.firewall_peers(RULES, "web2", GROUPS, ADDRESSES) == [
        {"source": "10.0.0.1", "ports": [8444]}
    ]
    # The replica's pgbouncer serves the web hosts' reads, nothing else.
    assert filters.firewall_peers(RULES, "work2", GROUPS, ADDRESSES) == [
        {"source": "10.0.0.1", "ports": [6432]},
        {"source": "10.0.0.2", "ports": [6432]},
    ]


def test_a_host_in_no_ruled_group_and_an_absent_group_get_nothing(filters: ModuleType) -> None:
    assert filters.firewall_peers(RULES, "work1", GROUPS, ADDRESSES) == []
    assert filters.firewall_peers(RULES, "db1", {"db": ["db1"]}, ADDRESSES) == []


def test_a_rule_without_its_keys_is_refused(filters: ModuleType) -> None:
    with pytest.raises(ValueError, match="lacks"):
        filters.firewall_peers([{"group": "db", "ports": [5432]}], "db1", GROUPS, ADDRESSES)


@pytest.mark.parametrize(
    ("host", "clients", "address"),
    [
        ("db1", ["db1"], "127.0.0.1"),  # one VM watching itself
        ("db1", [], "127.0.0.1"),  # nobody else reaches it
        ("db1", ["mon"], "10.0.0.11"),  # scraped from another host
        ("db1", ["db1", "mon"], "10.0.0.11"),  # and by itself, at the same address
    ],
)
def test_a_service_listens_on_loopback_only_while_its_host_is_its_only_client(
    filters: ModuleType, host: str, clients: list[str], address: str
) -> None:
    assert filters.listen_address(host, clients, HOSTVARS) == address


def test_the_monitoring_hosts_reach_every_exporter_and_the_app_hosts_prometheus(
    filters: ModuleType,
) -> None:
    rules = [
        {"group": "all", "from": ["monitoring"], "ports": [9100]},
        {"group": "workers", "from": ["monitoring"], "ports": [9103]},
        {"group": "monitoring", "from": ["web", "workers"], "ports": [9090]},
    ]
    groups = {**GROUPS, "all": list(ADDRESSES), "monitoring": ["db1"]}
    assert filters.firewall_peers(rules, "work1", groups, ADDRESSES) == [
        {"source": "10.0.0.5", "ports": [9100, 9103]}
    ]
    assert filters.firewall_peers(rules, "db1", groups, ADDRESSES) == [
        {"source": f"10.0.0.{i}", "ports": [9090]} for i in range(1, 5)
    ]
