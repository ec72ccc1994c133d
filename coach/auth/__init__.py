"""Who is who and who may see what: users and teams, passwords, API tokens, permissions."""
