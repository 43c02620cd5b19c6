-- The warehouse database beside Airflow's; the package creates and migrates its own tables in it.
CREATE DATABASE storyblok;
