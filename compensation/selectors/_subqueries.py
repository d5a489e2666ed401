"""Correlated subqueries the report selectors share."""

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce


def per_incident(rows, incident_path, aggregate):
    """`aggregate` over `rows` that belong to the outer incident, 0 when there are none."""
    per_incident = (
        rows.filter(**{incident_path: OuterRef("pk")})
        .order_by()
        .values(incident_path)
        .annotate(value=aggregate)
        .values("value")[:1]
    )
    return Coalesce(Subquery(per_incident), 0)
