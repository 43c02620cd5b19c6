"""The Postgres warehouse: tables, migrations, upserts and the reads the usage check needs."""
