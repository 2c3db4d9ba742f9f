"""Every operational table; importing this module registers them all on ``SQLModel.metadata``."""

from operational.models.crm import (
    Activity,
    Campaign,
    Contact,
    Customer,
    Employee,
    Lead,
    Opportunity,
    OpportunityStageChange,
    ServiceTicket,
)
from operational.models.erp import (
    Delivery,
    GoodsReceipt,
    Invoice,
    InvoiceLine,
    Payment,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    ReplenishmentSuggestion,
    SalesOrder,
    SalesOrderLine,
    StockLevel,
    StockMovement,
    Supplier,
    SupplierPayment,
)
from operational.models.oa import ApprovalRequest, Task
from operational.models.system import AuditLog, IdempotencyKey, StoreChange, UserAccount

__all__ = [
    "Activity", "ApprovalRequest", "AuditLog", "Campaign", "Contact", "Customer", "Delivery",
    "Employee", "GoodsReceipt", "IdempotencyKey", "Invoice", "InvoiceLine", "Lead",
    "Opportunity", "OpportunityStageChange", "Payment", "Product", "PurchaseOrder",
    "PurchaseOrderLine", "ReplenishmentSuggestion", "SalesOrder", "SalesOrderLine",
    "ServiceTicket", "StockLevel", "StockMovement", "StoreChange", "Supplier", "SupplierPayment",
    "Task", "UserAccount",
]
