"""The "Storyblok usage" view in the Airflow UI: a FastAPI app mounted in the API server by the plugin."""
