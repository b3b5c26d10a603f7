"""The digest: a typed model built from findings (model, grouping, news, sources, build),
rendered with Jinja2 templates (render), and the digest job (job, memory)."""
