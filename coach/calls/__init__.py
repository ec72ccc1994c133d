"""Calls: intake of uploads, storage of calls and analyses, background jobs, and the permission-checked reads the API and UI use."""
