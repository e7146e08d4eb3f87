"""Project Ledger: the ground every stage stands on (settings, db) and the shell that runs
the stages (cli, the night runner, summary, demo, generate, bench)."""
