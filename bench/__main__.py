"""`make bench`: print the figures the issues ask for."""

import sys

from bench import billing_run, coldstart, console, documents, engine, imports, requests

BENCHMARKS = {
    "imports": imports,
    "engine": engine,
    "documents": documents,
    "requests": requests,
    "coldstart": coldstart,
    "console": console,
    "billing_run": billing_run,  # the longest (half an hour for its 10,000 subscriptions): last
}


def main() -> None:
    """Every benchmark, or those named: `python -m bench billing_run`."""
    for name in sys.argv[1:] or BENCHMARKS:
        BENCHMARKS[name].report()


if __name__ == "__main__":
    main()
