"""Finance's payment file: every row checked with a fixed number of queries, then all or nothing."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from compensation import services
from compensation.models import ClaimState, Payment

HEADER = "claim_number,amount_krw,method,reference,paid_at\n"


def _check_only(world, csv_text):
    with CaptureQueriesContext(connection) as queries:
        result = services.payments_import(actor=world.supervisor, csv_text=csv_text)
    assert result.applied == 0 and result.errors
    return len(queries)


def test_checking_the_file_costs_the_same_queries_for_one_row_or_many(world):
    claims = [world.claim_in(ClaimState.ACCEPTED, claimant=owner) for owner in (world.claimant, world.other_user)]
    # Every row is too much (200,000 KRW is due): checked all the way down, nothing written.
    one = HEADER + f"{claims[0].number},999999,bank_transfer,R-0,\n"
    many = HEADER + "".join(f"{claims[i % 2].number},999999,bank_transfer,R-{i},2025-01-23T10:00\n" for i in range(12))
    _check_only(world, one)  # the supervisor's roles are read once, then cached on the user
    assert _check_only(world, many) == _check_only(world, one)
    assert not Payment.objects.exists()


def test_each_row_is_checked_against_what_the_rows_before_it_planned(world):
    claim = world.claim_in(ClaimState.ACCEPTED)
    services.payment_record(
        claim=claim, actor=world.supervisor, amount_krw=50_000, method="bank_transfer", reference="OLD"
    )
    csv_text = HEADER + (
        f"{claim.number},100000,bank_transfer,A,\n"
        f"{claim.number},60000,bank_transfer,B,\n"  # only 50,000 left after the row above
        f"{claim.number},1,bank_transfer,OLD,\n"  # the reference is already recorded
        f"{claim.number},1,bank_transfer,A,\n"  # and this one was used two lines up
        f"{claim.number},x,bank_transfer,C,\n"
        "C-0000-000000,1,bank_transfer,D,\n"
        f"{claim.number},1,cheque,E,\n"
    )
    result = services.payments_import(actor=world.supervisor, csv_text=csv_text)
    assert [line for line, _message in result.errors] == [3, 4, 5, 6, 7, 8]
    assert "50,000" in result.errors[0][1]
    assert Payment.objects.count() == 1

    fits = HEADER + f"{claim.number},100000,bank_transfer,A,\n{claim.number},50000,bank_transfer,B,\n"
    assert services.payments_import(actor=world.supervisor, csv_text=fits).applied == 2
    assert world.reload(claim).state == ClaimState.PAID


def test_a_claim_that_is_not_accepted_is_named_in_the_error(world):
    claim = world.claim_in(ClaimState.DECIDED)
    result = services.payments_import(actor=world.supervisor, csv_text=HEADER + f"{claim.number},1,bank_transfer,Z,\n")
    assert result.errors and claim.number in result.errors[0][1]
