from compensation.models.affected_order import AffectedOrder
from compensation.models.assisted import AssistedChannel, AssistedIntake, Confirmation, IdentityMethod
from compensation.models.claim import (
    Claim,
    ClaimEvent,
    ClaimOrigin,
    ClaimState,
    ExtensionGround,
    PayoutMethod,
    TradeSide,
)
from compensation.models.control_review import ControlReview
from compensation.models.coverage import (
    CoverageBasis,
    CoverageSnapshot,
    InsurancePolicy,
    LicenceType,
    required_amount,
)
from compensation.models.decision import Decision, Objection, ObjectionOutcome
from compensation.models.document import ClaimDocument, DocumentPurpose
from compensation.models.intent import ClaimIntent
from compensation.models.market_price import MarketPrice
from compensation.models.notification import Notification
from compensation.models.payment import Payment, PaymentMethod
from compensation.models.policy import (
    CompensationPolicy,
    DamageType,
    Exclusion,
    IncidentPolicyOverride,
    Method,
    NoticeTerms,
    PolicyVersion,
    RequiredDocument,
)
from compensation.models.proactive import (
    BatchEvent,
    BatchLine,
    BatchState,
    CompensationBatch,
    DelayedTransfer,
    ExchangeAccount,
    FailedLogin,
    LineOutcome,
    LinkMethod,
    PayoutKind,
)

__all__ = [
    "AssistedChannel",
    "AssistedIntake",
    "Confirmation",
    "IdentityMethod",
    "ControlReview",
    "CoverageBasis",
    "CoverageSnapshot",
    "InsurancePolicy",
    "LicenceType",
    "required_amount",
    "BatchEvent",
    "BatchLine",
    "BatchState",
    "ClaimOrigin",
    "CompensationBatch",
    "DelayedTransfer",
    "ExchangeAccount",
    "FailedLogin",
    "LineOutcome",
    "LinkMethod",
    "PayoutKind",
    "AffectedOrder",
    "Claim",
    "ClaimDocument",
    "ClaimEvent",
    "ClaimIntent",
    "ClaimState",
    "CompensationPolicy",
    "DamageType",
    "Decision",
    "DocumentPurpose",
    "Exclusion",
    "ExtensionGround",
    "IncidentPolicyOverride",
    "MarketPrice",
    "Method",
    "NoticeTerms",
    "Notification",
    "Objection",
    "ObjectionOutcome",
    "Payment",
    "PaymentMethod",
    "PayoutMethod",
    "PolicyVersion",
    "RequiredDocument",
    "TradeSide",
]
