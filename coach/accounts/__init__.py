"""Accounts and their history: the account context the coach sees and the CSV import."""
