"""``python -m example_cloud --port N --token-file F``: serve the example cloud until interrupted.

The token file holds the read-write bearer token (one line); ``--read-only-token-file`` adds a token
that may only read. Tokens come from files, never from the command line, where ``ps`` shows them.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from example_cloud.server import DEFAULT_REGIONS, ExampleCloud, Token


def _token(path: str) -> str:
    token = Path(path).read_text(encoding="utf-8").strip()
    if not token:
        raise SystemExit(f"example_cloud: the token file {path} is empty")
    return token


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m example_cloud", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700, help="0 picks a free port")
    parser.add_argument("--token-file", required=True, help="file holding the read-write token")
    parser.add_argument("--read-only-token-file", help="file holding a read-only token")
    parser.add_argument("--regions", default=",".join(DEFAULT_REGIONS))
    parser.add_argument("--boot-delay", type=float, default=1.0, help="seconds instances boot")
    parser.add_argument("--rate-limit", type=float, help="requests per second before 429")
    parser.add_argument("--burst", type=int, help="requests allowed at once above the rate")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request line")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    tokens = [Token(_token(args.token_file), "owner")]
    if args.read_only_token_file:
        tokens.append(Token(_token(args.read_only_token_file), "viewer", read_only=True))
    cloud = ExampleCloud(
        tokens,
        regions=[r.strip() for r in args.regions.split(",") if r.strip()],
        boot_delay=args.boot_delay,
        rate_limit=args.rate_limit,
        burst=args.burst,
        host=args.host,
        port=args.port,
    )
    # One line on stdout with the address, so a parent process can wait for it.
    print(f"example cloud listening on {cloud.url}", flush=True)
    try:
        cloud.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        cloud.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
