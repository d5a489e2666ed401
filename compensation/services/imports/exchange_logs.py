"""The exchange's account list and its logs of delayed transfers and failed logins (see `logs`)."""

import io

from django.utils.translation import gettext as _

from compensation.permissions import BatchAction, batch_roles_for
from compensation.services.imports import logs
from incidents import roles

LOG_IMPORTERS = batch_roles_for(BatchAction.IMPORT_LOGS)


def _stream(csv_text, stream):
    return stream if stream is not None else io.BytesIO(csv_text.encode("utf-8"))


def exchange_accounts_import(*, actor, csv_text=None, stream=None):
    """`account_id,email`: the accounts the logs name, with the address the exchange holds for each."""
    roles.require_role(actor, *LOG_IMPORTERS, action=_("import exchange accounts"))
    return logs.log_import(spec=logs.ACCOUNTS, actor=actor, stream=_stream(csv_text, stream))


def delayed_transfers_import(*, incident, actor, csv_text=None, stream=None):
    """`account_id,direction,asset,amount,requested_at,completed_at` (deposit or withdrawal)."""
    roles.require_role(actor, *LOG_IMPORTERS, action=_("import logs"))
    return logs.log_import(spec=logs.TRANSFERS, incident=incident, actor=actor, stream=_stream(csv_text, stream))


def failed_logins_import(*, incident, actor, csv_text=None, stream=None):
    """`account_id,attempted_at`: logins or sessions that failed during the outage."""
    roles.require_role(actor, *LOG_IMPORTERS, action=_("import logs"))
    return logs.log_import(spec=logs.LOGINS, incident=incident, actor=actor, stream=_stream(csv_text, stream))
