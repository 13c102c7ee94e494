from millbook_billing.models import Base
from millbook_platform.migrations import run_migrations

run_migrations(Base.metadata)
