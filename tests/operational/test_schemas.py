"""Input schemas cannot drift from the tables they write."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from operational import models, schemas

# input field -> where it goes when it is not a column of the same name
NOT_COLUMNS = {
    "SalesOrderCreate": {"lines"},
    "PurchaseOrderCreate": {"lines"},
    "LeadConversion": {"customer_code", "customer_id", "opportunity_name"},
}
TABLE_OF = {
    "SalesOrderLineCreate": models.SalesOrderLine,
    "PurchaseOrderLineCreate": models.PurchaseOrderLine,
    "ServiceTicketCreate": models.ServiceTicket,
    "ServiceTicketUpdate": models.ServiceTicket,
    "LeadConversion": models.Opportunity,
}

INPUTS = [
    cls
    for name, cls in vars(schemas).items()
    if isinstance(cls, type)
    and issubclass(cls, BaseModel)
    and cls is not schemas.Input
    and issubclass(cls, schemas.Input)
]


@pytest.mark.parametrize("schema", INPUTS, ids=lambda c: c.__name__)
def test_every_input_field_is_a_column(schema: type[BaseModel]) -> None:
    name = schema.__name__
    entity = name.removesuffix("Create").removesuffix("Update")
    table = TABLE_OF.get(name) or getattr(models, entity)
    columns = set(table.__table__.c.keys())
    extra = set(schema.model_fields) - columns - NOT_COLUMNS.get(name, set())
    assert extra == set(), f"{name} has fields that are not columns of {table.__name__}"


def test_there_are_inputs_for_every_entity_staff_enter() -> None:
    names = {cls.__name__ for cls in INPUTS}
    for entity in (
        "Customer",
        "Contact",
        "Employee",
        "Campaign",
        "Lead",
        "Opportunity",
        "Activity",
        "ServiceTicket",
        "Supplier",
        "Product",
        "SalesOrder",
        "PurchaseOrder",
        "ApprovalRequest",
        "Task",
    ):
        assert f"{entity}Create" in names
