"""Where the hosts of a deployment reach each other, from the inventory alone.

A host's address for the other hosts is ``quizbot_private_address`` when the
inventory sets it, else ``ansible_host``, else its inventory name. Every role
that wires hosts together (pg_hba, listen addresses, replication, URLs) asks
these filters, so they cannot disagree.

    "{{ groups['db_replica'] | host_addresses(hostvars) }}"
    "{{ inventory_hostname | host_address(hostvars) }}"
    "{{ common_firewall_peers | firewall_peers(inventory_hostname, groups, hostvars) }}"
    "{{ inventory_hostname | listen_address(groups['monitoring'], hostvars) }}"
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any


def host_address(host: str, hostvars: Mapping[str, Any]) -> str:
    """The address the other hosts reach ``host`` at."""
    found = hostvars.get(host, {})
    for key in ("quizbot_private_address", "ansible_host"):
        value = found.get(key)
        if value:
            return str(value)
    return str(host)


def host_addresses(hosts: Iterable[str], hostvars: Mapping[str, Any]) -> list[str]:
    """:func:`host_address` of each host, in order."""
    return [host_address(h, hostvars) for h in hosts]


def listen_address(host: str, clients: Iterable[str], hostvars: Mapping[str, Any]) -> str:
    """Where a service on ``host`` that only ``clients`` use listens, and they reach it.

    Loopback when every client is ``host`` itself (one VM watching itself),
    else the host's address for the others (:func:`host_address`), which the
    host itself reaches too.
    """
    if all(client == host for client in clients):
        return "127.0.0.1"
    return host_address(host, hostvars)


def hba_network(address: str) -> str:
    """A pg_hba address field: an IP as a one-host network, a name as it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    return f"{ip}/{ip.max_prefixlen}"


def replication_slot(host: str) -> str:
    """The physical replication slot a standby streams through, named after the host."""
    return "quizbot_" + re.sub(r"[^a-z0-9_]", "_", str(host).lower())


def firewall_peers(
    rules: Iterable[Mapping[str, Any]],
    host: str,
    groups: Mapping[str, Iterable[str]],
    hostvars: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """What ``host`` accepts from the other hosts: ``[{"source": address, "ports": [...]}]``.

    Each rule is ``{"group": G, "from": [groups], "ports": [ports]}``: a host in
    G accepts those TCP ports from every host of the ``from`` groups (a group
    the inventory lacks is empty). A host never lists itself: its own traffic
    arrives on loopback, which the firewall accepts anyway.
    """
    by_source: dict[str, set[int]] = {}
    for rule in rules:
        missing = {"group", "from", "ports"} - set(rule)
        if missing:
            raise ValueError(f"firewall rule {dict(rule)} lacks {sorted(missing)}")
        if host not in groups.get(rule["group"], ()):
            continue
        for group in rule["from"]:
            for peer in groups.get(group, ()):
                if peer != host:
                    ports = by_source.setdefault(host_address(peer, hostvars), set())
                    ports.update(int(p) for p in rule["ports"])
    return [{"source": s, "ports": sorted(p)} for s, p in sorted(by_source.items())]


class FilterModule:
    """Ansible's entry point for the filters of this file."""

    def filters(self) -> dict[str, Any]:
        return {
            "host_address": host_address,
            "host_addresses": host_addresses,
            "listen_address": listen_address,
            "hba_network": hba_network,
            "replication_slot": replication_slot,
            "firewall_peers": firewall_peers,
        }
