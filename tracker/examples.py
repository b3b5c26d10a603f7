"""The example files `tracker init` writes into a new workspace."""

from __future__ import annotations

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
git:
  branch: main                     # the branch every writer commits to
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
