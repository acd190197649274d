"""``python -m bench``: prints every ratio with its absolute figures beside it."""

from __future__ import annotations

from bench import operations, read_ingest, search_latency, seed


def main() -> None:
    print("\n".join(read_ingest.report_lines(read_ingest.run())))
    print("\n".join(seed.report_lines(seed.run())))
    print("\n".join(operations.report_lines(operations.run())))
    print("\n".join(search_latency.report_lines(search_latency.run())))


if __name__ == "__main__":
    main()
