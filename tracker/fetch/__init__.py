"""The one HTTP client: deadlines, retries, Retry-After, size caps, conditional GET."""
