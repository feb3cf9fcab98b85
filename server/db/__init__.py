"""Storage: SQLAlchemy 2 models, engine set-up and Alembic migrations, in one place."""
