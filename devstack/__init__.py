"""Development stack launchers: throwaway PostgreSQL, Redis and Rasa-stack servers for tests, the benchmark and the soak."""
