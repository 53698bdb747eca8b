"""`make bench`: print the figures the issues ask for."""

from bench import engine, imports, requests


def main() -> None:
    imports.report()
    engine.report()
    requests.report()


if __name__ == "__main__":
    main()
