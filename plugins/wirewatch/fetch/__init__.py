"""Fetch: downloading the queued article pages, with every limit and courtesy (the fetch step).

    client      HTTP downloads: address checks (SSRF), timeouts, size cap, redirects: `download`, `Download`
    content     what a download is (sniffed media type) and why it cannot be a page: `media_problem`
    politeness  robots.txt and a minimum delay per host: `HostPolicy`
    runner      `plan_fetch`, `fetch_articles`: what the fetch tasks call
"""
