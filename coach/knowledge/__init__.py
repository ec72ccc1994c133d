"""The knowledge base as the API and UI see it (search, case lookup, admin ingestion); the index itself lives in :mod:`retrieval`."""
