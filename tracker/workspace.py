"""Create a new workspace: git repository, example feeds.yaml and report, .gitignore."""
from __future__ import annotations

from pathlib import Path

from tracker.errors import ConfigError
from tracker.store.git import GitStore, write_atomic

GITIGNORE = ".tracker/\n"

FEEDS_EXAMPLE = """\
# Sources this workspace polls. Each id names snapshots/<id>.yaml.
# Reference: see the README ("Configuration").
sources:
  factbook-kz:
    kind: factbook
    # The CIA retired the Factbook in February 2026; this public mirror is frozen
    # at its last edition (2026-01-22). Use Wikidata for live checks.
    url: https://github.com/factbook/cache.factbook.json/raw/master/central-asia/kz.json
    schedule: "0 4 * * 4"          # cron, UTC
    expect_update_within: 45d      # unchanged longer than this → health "quiet"
digest:
  schedule: "0 6 * * *"
# email:
#   smtp: {host: smtp.example.org, port: 587, security: starttls, username: tracker,
#          password_env: TRACKER_SMTP_PASSWORD}
#   from: tracker@example.org
#   to: [analysts@example.org]
#   maintainers: [it@example.org]
"""

REPORT_EXAMPLE = """\
# One file per report: what it claims, and where each claim can be checked.
report:
  id: example
  title: Example country report
  language: en
  published: 2025-10-15
facts:
  - id: head-of-government
    section: Government
    footnote: 1
    claim: The prime minister is Olzhas Bektenov.
    expect: Olzhas Bektenov
    source: factbook-kz
    path: [Government, Executive branch, head of government]
    extract: person
    watch: [prime minister, Bektenov]
  - id: population
    section: People
    claim: The population is about 20.26 million (2024 estimate).
    expect: 20260006
    source: factbook-kz
    path:
      - [People and Society, Population, total]
      - [People and Society, Population, text]
    extract: number
    tolerance: 0.5%
"""


def init_workspace(directory: Path | str) -> Path:
    """Make `directory` a workspace; refuses to overwrite an existing feeds.yaml."""
    root = Path(directory)
    if (root / "feeds.yaml").exists():
        raise ConfigError("a workspace already exists here (feeds.yaml found)",
                          file=str(root / "feeds.yaml"))
    store = GitStore.init(root)
    for rel, text in ((".gitignore", GITIGNORE), ("feeds.yaml", FEEDS_EXAMPLE),
                      ("reports/example.yaml", REPORT_EXAMPLE)):
        path = root / rel
        if not path.exists():
            write_atomic(path, text)
    (root / "snapshots").mkdir(exist_ok=True)
    (root / "digests").mkdir(exist_ok=True)
    store.commit([".gitignore", "feeds.yaml", "reports/example.yaml"], "Create workspace")
    return root
