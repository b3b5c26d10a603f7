"""Report files: scanning a report's text layer (footnotes, sentences, drafts) and review
edits of reports/<id>.yaml."""
