"""Manager views: per-rep metrics and trends, flagged calls, practice assignments."""
