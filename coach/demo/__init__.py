"""The offline demo organisation seeded by ``salescoach init --demo``."""
