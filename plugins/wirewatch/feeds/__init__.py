"""Feeds: which feeds to watch, and polling them for new entries (the DAG's poll step).

    lists      the user's feed list (YAML), validated on load: `load_feed_list`, `FeedSpec`
    opml       OPML import and export of feed lists
    parsing    RSS/Atom bytes -> `ParsedFeed` of `FeedEntry`s (feedparser): `parse_feed`
    discovery  a site's page -> its feed addresses
    polling    conditional GETs of due feeds in one asyncio loop, adaptive intervals
    runner     `plan_poll`, `poll_feeds`: what the poll tasks call
"""
