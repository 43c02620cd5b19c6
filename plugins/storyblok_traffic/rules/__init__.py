"""The usage rules, pure: billing periods, usage against limits, the forecast, the alert state machine and
the words of the notices. No I/O and no Airflow here; ``storyblok_traffic.evaluation`` feeds them."""
