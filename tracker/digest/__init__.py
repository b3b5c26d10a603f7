"""The digest: build it from findings, render it (Jinja2 templates), the digest job."""
