"""`make bench`: print the figures the issues ask for."""

from bench import coldstart, documents, engine, imports, requests


def main() -> None:
    imports.report()
    engine.report()
    documents.report()
    requests.report()
    coldstart.report()


if __name__ == "__main__":
    main()
