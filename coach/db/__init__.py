"""Storage: models, engine/session factory, migrations, repositories."""
