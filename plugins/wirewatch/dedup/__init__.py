"""Dedup: every article put in a story, so one wire story on many outlets is one story (the dedup step).

    similarity  MinHash/LSH fingerprints of a text and the exact/near/new decision: `fingerprint`, `best_match`
    runner      `dedup_articles`: what the dedup task calls
"""
