"""Notifications: channel senders (Slack-style webhook, JSON webhook, email), the delivery of due
notices, and the pipeline's failure notice (the one Airflow callback)."""
