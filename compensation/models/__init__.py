from .affected_order import AffectedOrder
from .claim import Claim, ClaimEvent, ClaimState, PayoutMethod, TradeSide
from .decision import Decision, Objection, ObjectionOutcome
from .document import ClaimDocument, DocumentPurpose
from .intent import ClaimIntent
from .market_price import MarketPrice
from .notification import Notification
from .payment import Payment, PaymentMethod
from .policy import CompensationPolicy, DamageType, Exclusion, Method, RequiredDocument

__all__ = [
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
    "MarketPrice",
    "Method",
    "Notification",
    "Objection",
    "ObjectionOutcome",
    "Payment",
    "PaymentMethod",
    "PayoutMethod",
    "RequiredDocument",
    "TradeSide",
]
