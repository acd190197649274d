"""``python -m bench``: prints every ratio with its absolute figures beside it."""

from __future__ import annotations

from bench import operations, read_ingest, search_latency, seed


def main() -> None:
    core = read_ingest.run()
    print(f"R1 read-by-id / fixed body      = {core['R1']:.2f}  (goal >= 0.6)  "
          f"[{core['read_per_s']:.0f} vs {core['fixed_per_s']:.0f} req/s]")
    print(f"R4 transaction ingest / raw     = {core['R4']:.2f}  (goal >= 0.25) "
          f"[{core['ingest_per_s']:.0f} vs {core['raw_per_s']:.0f} resources/s, {core['resources']} resources]")
    print("\n".join(seed.report_lines(seed.run())))
    print("\n".join(operations.report_lines(operations.run())))
    print("\n".join(search_latency.report_lines(search_latency.run())))


if __name__ == "__main__":
    main()
