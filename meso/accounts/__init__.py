"""Staff accounts: users, second factors, API tokens and the audit log."""
