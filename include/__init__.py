"""What is not Airflow code: the Storyblok simulator, a webhook receiver, the local stack."""
