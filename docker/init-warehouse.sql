-- The warehouse database beside Airflow's; `storyblok-traffic db migrate` (the init service) creates its schema and tables.
CREATE DATABASE storyblok;
