"""Command-line subcommands; each module registers its own parser."""
