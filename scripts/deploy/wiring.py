"""Check what each host of an inventory gets from its groups alone.

Reads the directory ansible/wiring.yml rendered (one sub-directory per host:
wiring.json, nftables.conf, haproxy.cfg on lb hosts) and checks it against the
rules of docs/operations.md, "Several hosts", for whatever hosts and
combinations the inventory has. Prints one line per host; exits non-zero with
every problem found.

    python3 scripts/deploy/wiring.py WIRING_DIR
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

WEB_PORT, BACKEND_PORT = 8443, 8444
NODE, COLLECTD, POSTGRES, PROMETHEUS = 9100, 9103, 9187, 9090


def main(root: Path) -> int:
    hosts = {d.name: json.loads((d / "wiring.json").read_text()) for d in sorted(root.iterdir())}
    members = {g: [h for h, w in hosts.items() if g in w["groups"]] for g in ("lb", "web", "workers", "db", "db_replica", "monitoring")}
    address = {h: w["address"] for h, w in hosts.items()}
    problems: list[str] = []

    def expect(host: str, what: str, got: object, want: object) -> None:
        if got != want:
            problems.append(f"{host}: {what} is {got!r}, expected {want!r}")

    def listen(host: str, clients: list[str]) -> str:
        """Where a service of ``host`` used by ``clients`` listens: loopback if only by itself."""
        return "127.0.0.1" if all(c == host for c in clients) else address[host]

    for host, w in hosts.items():
        groups = set(w["groups"])
        others = lambda *gs: sorted({address[h] for g in gs for h in members[g] if h != host})  # noqa: E731
        # Telegram reaches the lb hosts only, or the web hosts without an lb group.
        faces = "lb" in groups or (not members["lb"] and "web" in groups)
        expect(host, "public TCP ports", sorted(w["public_tcp_ports"]), [22, WEB_PORT] if faces else [22])
        # Between hosts: exactly what the groups call for, from exactly those hosts.
        want: dict[str, set[int]] = {}
        if "db" in groups:
            for a in others("web", "workers", "db_replica"):
                want.setdefault(a, set()).add(5432)
            for a in others("web", "workers"):
                want.setdefault(a, set()).add(6432)
        if "db_replica" in groups:
            for a in others("web"):
                want.setdefault(a, set()).add(6432)
        if "web" in groups:
            for a in others("lb"):
                want.setdefault(a, set()).add(BACKEND_PORT)
        # The monitoring hosts scrape every exporter; the app hosts read Prometheus.
        exporters = {NODE} | ({COLLECTD} if groups & {"web", "workers"} else set())
        exporters |= {POSTGRES} if groups & {"db", "db_replica"} else set()
        for a in others("monitoring"):
            want.setdefault(a, set()).update(exporters)
        if "monitoring" in groups:
            for a in others("web", "workers"):
                want.setdefault(a, set()).add(PROMETHEUS)
        got = {p["source"]: set(p["ports"]) for p in w["peers"]}
        expect(host, "ports open to other hosts", got, want)
        nft = (root / host / "nftables.conf").read_text()
        for source, ports in want.items():
            line = f"ip saddr {source} tcp dport {{ {', '.join(map(str, sorted(ports)))} }} accept"
            if line not in nft:
                problems.append(f"{host}: nftables.conf lacks {line!r}")
        if "db" in groups:
            app = others("web", "workers")
            remote = bool(app or members["db_replica"])
            expect(host, "PostgreSQL listen_addresses", w["postgresql_listen_addresses"],
                   f"localhost,{address[host]}" if remote else "localhost")
            expect(host, "pg_hba app networks", sorted(w["postgresql_hba_networks"]), sorted(f"{a}/32" for a in app))
        if "db" in groups or "db_replica" in groups:
            serves_others = bool(others("web", "workers"))
            expect(host, "pgbouncer listen_addr", w["pgbouncer_listen_addr"],
                   f"127.0.0.1,{address[host]}" if serves_others else "127.0.0.1")
        if "db_replica" in groups:
            expect(host, "standby", w["postgresql_standby"], True)
        programs = (["web"] if "web" in groups else []) + (["sender", "writer"] if "workers" in groups else [])
        expect(host, "supervisor programs", w["supervisor_programs"], programs)
        if programs:
            db = members["db"][0]
            expect(host, "database host", w["quizbot_db_host"], "127.0.0.1" if db == host else address[db])
        if "web" in groups:
            replica = members["db_replica"][0] if members["db_replica"] else None
            want_read = "" if replica is None else "127.0.0.1" if replica == host else address[replica]
            expect(host, "read replica host", w["quizbot_db_read_host"], want_read)
            port = BACKEND_PORT if members["lb"] else WEB_PORT
            expect(host, "gunicorn bind", w["quizbot_web_bind"], f"0.0.0.0:{port}")
        if members["monitoring"]:
            expect(host, "exporters' address", w["exporter_listen"], listen(host, members["monitoring"]))
            expect(host, "programs collectd counts", w["collectd_program_groups"],
                   [g for g in ("web", "workers") if g in groups])
            if programs:
                mon = members["monitoring"][0]
                expect(host, "PROMETHEUS_URL", w["prometheus_url"],
                       f"http://{listen(mon, members['web'] + members['workers'])}:{PROMETHEUS}")
        if "monitoring" in groups:
            problems.extend(f"{host}: {p}" for p in scrape_problems(root / host / "prometheus.yml", members, listen))
        if "lb" in groups:
            cfg = (root / host / "haproxy.cfg").read_text()
            servers = sorted(re.findall(r"^\s+server (\S+) (\S+)$", cfg, re.M))
            expect(host, "HAProxy servers", servers, sorted((h, f"{address[h]}:{BACKEND_PORT}") for h in members["web"]))
            if not re.search(rf"^\s+bind :{WEB_PORT} ssl crt ", cfg, re.M):
                problems.append(f"{host}: HAProxy does not terminate TLS on {WEB_PORT}")
            if not re.search(r'http-check send meth GET uri /health .*hdr Authorization "Bearer \S+"', cfg):
                problems.append(f"{host}: HAProxy's health check does not send the monitoring token")
        print(f"ok    {host} ({', '.join(sorted(groups))}): public {sorted(w['public_tcp_ports'])}, "
              f"from peers {[(s, sorted(p)) for s, p in sorted(got.items())]}, programs {w['supervisor_programs']}")
    for problem in problems:
        print(f"FAIL  {problem}", file=sys.stderr)
    return 1 if problems else 0


def scrape_problems(config: Path, members: dict[str, list[str]], listen: Callable[[str, list[str]], str]) -> list[str]:
    """How Prometheus's scrape config differs from every host's exporters at their addresses."""
    jobs: dict[str, list[tuple[str, str]]] = {}
    job = ""
    for line in config.read_text().splitlines():
        if m := re.match(r"\s+- job_name: (\S+)$", line):
            job = m.group(1)
        elif m := re.match(r'\s+- targets: \["(\S+)"\]$', line):
            jobs.setdefault(job, []).append((m.group(1), ""))
        elif (m := re.match(r'\s+labels: \{host: "(\S+)"\}$', line)) and jobs.get(job):
            jobs[job][-1] = (jobs[job][-1][0], m.group(1))
    everyone = sorted({h for hs in members.values() for h in hs} | set(members["monitoring"]))
    app = sorted(set(members["web"] + members["workers"]))
    db = sorted(set(members["db"] + members["db_replica"]))
    want = {
        "node": [(f"{listen(h, members['monitoring'])}:{NODE}", h) for h in everyone],
        "collectd": [(f"{listen(h, members['monitoring'])}:{COLLECTD}", h) for h in app],
        "postgres": [(f"{listen(h, members['monitoring'])}:{POSTGRES}", h) for h in db],
    }
    return [f"prometheus.yml job {j} scrapes {sorted(jobs.get(j, []))}, expected {sorted(t)}"
            for j, t in want.items() if sorted(jobs.get(j, [])) != sorted(t)]


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
