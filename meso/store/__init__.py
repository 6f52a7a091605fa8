"""The escalation database: one engine cache, every table, migrations, transcripts, SMS state."""
