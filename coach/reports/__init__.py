"""Written documents about calls: the post-call report, the lost-deal retrospective, the call facts both are built from, team benchmarks, and their Markdown."""
