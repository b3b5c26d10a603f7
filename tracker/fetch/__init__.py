"""The one HTTP client: deadlines, retries, Retry-After, size caps, conditional GET.

`tracker.fetch.client` holds the API the source kinds use (Http, HttpResponse, host_key,
safe_url, parse_retry_after); this package imports nothing by itself, so that commands
that never fetch do not load aiohttp.
"""
