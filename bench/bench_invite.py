"""Inviting the users hit from a 100,000-order log (50,000 addresses, 10,000 already claimed), on PostgreSQL."""

from bench.pg import run_module

TITLE = "Claim invitations from a 100,000-order log (PostgreSQL)"


def run():
    return run_module("bench.invite_child", "bench_invite")


if __name__ == "__main__":
    print("\n".join(run()))
