"""The operators: fetch (the hook's caller), the daily pipeline's upsert, check and notify, and the backfill."""
