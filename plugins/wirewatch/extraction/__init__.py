"""Extraction: a stored page -> the article's clean text and metadata, or a rejection with a reason
(the extract step).

    extract      trafilatura plus wirewatch's cleaning: `extract_article`, `ExtractedArticle`, `Rejection`
    encoding     decoding pages whose header, <meta charset> and BOM disagree
    pagekind     is the page an article at all?
    pagemeta     title, byline, dates, language, canonical URL from the page
    cleaning     paywall, subscription and syndication junk removed from a text
    boilerplate  the lines each site repeats inside its articles, learned as pages are extracted
    embedded     story text carried as JSON-LD or script state
    runner       `extract_articles`, `mark_for_reprocess`: what the extract task calls
"""
