"""Run every `bench/bench_*.py` (or those whose name contains one of the arguments).

    python -m bench              # all
    python -m bench calendar     # only bench_calendar
    python -m bench --list

Django is set up here once (test settings, throwaway in-memory database) for the benches
that run in this process; PostgreSQL benches start their own child processes.
"""

import argparse
import importlib
import pkgutil
import sys
import time
import traceback
from pathlib import Path

from bench.django_env import setup


def discover():
    folder = Path(__file__).resolve().parent
    return sorted(info.name for info in pkgutil.iter_modules([str(folder)]) if info.name.startswith("bench_"))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", help="run only benches whose module name contains one of these")
    parser.add_argument("--list", action="store_true", help="list the benches and exit")
    args = parser.parse_args(argv)

    names = [name for name in discover() if not args.names or any(part in name for part in args.names)]
    if args.list:
        print("\n".join(names))
        return 0
    if not names:
        print(f"no bench matches {args.names}; have: {', '.join(discover())}", file=sys.stderr)
        return 2

    setup()
    failed = []
    for name in names:
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            print(f"== {getattr(module, 'TITLE', name)} ({name})", flush=True)
            for line in module.run():
                print(line, flush=True)
        except Exception:  # one broken bench must not hide the others' numbers
            failed.append(name)
            traceback.print_exc()
        print(f"   [{name}: {time.perf_counter() - started:.1f} s]\n", flush=True)
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
