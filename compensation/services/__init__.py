"""Claim use cases; each is keyword-only, one transaction, with a row lock and an event row."""

from compensation.services.accounts import (
    exchange_account_link,
    exchange_account_link_by_staff,
    exchange_account_request_link,
    exchange_account_verify_payout,
)
from compensation.services.assisted import (
    assisted_claim_confirm,
    assisted_claim_correct,
    assisted_claim_record,
    assisted_claim_request_correction,
    assisted_claim_resend_link,
)
from compensation.services.batches import batch_approve, batch_cancel, batch_compute, batch_create, batch_issue
from compensation.services.control_review import control_review_sign_off
from compensation.services.coverage import coverage_fix, coverage_record
from compensation.services.imports.exchange_logs import (
    delayed_transfers_import,
    exchange_accounts_import,
    failed_logins_import,
)
from compensation.services.imports.orders import affected_orders_import, affected_users_invite
from compensation.services.imports.payments import payments_import
from compensation.services.imports.prices import claims_fill_executable_prices, market_prices_import
from compensation.services.intake import (
    claim_add_supplement,
    claim_intent_record,
    claim_submit,
    claim_withdraw,
    documents_for_upload,
)
from compensation.services.policies import policy_override_set, policy_version_record
from compensation.services.recompute import claims_recompute_deadlines
from compensation.services.review import (
    claim_assign,
    claim_decide,
    claim_extend_review,
    claim_record_assessment,
    claim_request_supplement,
    claim_start_review,
    decision_approve,
    decision_notice_seen,
    decision_send_back,
    objection_decide,
)
from compensation.services.settlement import (
    claim_accept,
    claim_close,
    claim_lapse_objection_window,
    claim_object,
    correction_approve,
    correction_refuse,
    decision_correct,
    payment_record,
)

__all__ = [
    "assisted_claim_confirm",
    "assisted_claim_correct",
    "assisted_claim_record",
    "assisted_claim_request_correction",
    "assisted_claim_resend_link",
    "batch_approve",
    "batch_cancel",
    "batch_compute",
    "batch_create",
    "batch_issue",
    "control_review_sign_off",
    "coverage_fix",
    "coverage_record",
    "delayed_transfers_import",
    "exchange_account_link",
    "exchange_account_link_by_staff",
    "exchange_account_request_link",
    "exchange_account_verify_payout",
    "exchange_accounts_import",
    "failed_logins_import",
    "affected_orders_import",
    "affected_users_invite",
    "claim_accept",
    "claim_add_supplement",
    "claim_assign",
    "claim_record_assessment",
    "claim_close",
    "claim_decide",
    "claim_intent_record",
    "claim_extend_review",
    "claim_lapse_objection_window",
    "claim_object",
    "claim_request_supplement",
    "claim_start_review",
    "claim_submit",
    "claim_withdraw",
    "claims_fill_executable_prices",
    "claims_recompute_deadlines",
    "correction_approve",
    "correction_refuse",
    "decision_approve",
    "decision_notice_seen",
    "decision_correct",
    "decision_send_back",
    "documents_for_upload",
    "market_prices_import",
    "objection_decide",
    "payments_import",
    "payment_record",
    "policy_override_set",
    "policy_version_record",
]
