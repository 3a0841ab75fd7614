"""``python -m crm_lib <command>``: ``report`` runs the monthly report batch (see crm_lib.report)."""

from __future__ import annotations

import sys

USAGE = """usage: python -m crm_lib report [options]

commands:
  report    run the analysis notebooks for a month and write offline HTML reports
            (python -m crm_lib report --help for the options)

The sample company is generated with: python -m crm_lib.sample --help
"""


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    if args[0] == "report":
        from crm_lib.report import main as report_main

        return report_main(args[1:])
    print(f"python -m crm_lib: unknown command {args[0]!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
