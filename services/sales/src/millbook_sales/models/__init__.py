"""Sales' tables, one module per aggregate; the migrations' target metadata is `Base`'s."""

from millbook_sales.models.base import Base, DocumentCounter
from millbook_sales.models.crm import Contact, Customer, Lead, Opportunity, Task
from millbook_sales.models.documents import Order, OrderLine, Quotation, QuotationLine
from millbook_sales.models.organizations import SalesOrganization
from millbook_sales.models.people import LeadAssignmentCursor, SalesUser
from millbook_sales.models.pricing import OpportunityStageChange, PricingEstimate, PricingSettings

__all__ = [
    "Base",
    "Contact",
    "Customer",
    "DocumentCounter",
    "Lead",
    "LeadAssignmentCursor",
    "Opportunity",
    "OpportunityStageChange",
    "Order",
    "OrderLine",
    "PricingEstimate",
    "PricingSettings",
    "Quotation",
    "QuotationLine",
    "SalesOrganization",
    "SalesUser",
    "Task",
]
